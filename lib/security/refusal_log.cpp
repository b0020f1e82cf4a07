// Rate-limited refusal lines: see refusal_log.hpp.
#include "security/refusal_log.hpp"

namespace zd::security {

namespace {

std::string shown(std::string_view address) {
    return address.empty() ? std::string("(no address)") : std::string(address);
}

} // namespace

refusal_log_t::refusal_log_t(clock::duration interval, std::size_t max_addresses)
    : interval_(interval), max_addresses_(max_addresses == 0 ? 1 : max_addresses) {}

std::string refusal_log_t::refused(std::string_view address, std::string_view why,
                                   clock::time_point now) {
    std::string key(address);
    auto found = entries_.find(key);
    if (found == entries_.end() && entries_.size() >= max_addresses_) {
        key = other_addresses;
        found = entries_.find(key);
    }
    if (found == entries_.end()) {
        entries_.emplace(key, entry_t{now, 0, std::string(why)});
        return "refused " + shown(key) + ": " + std::string(why);
    }
    entry_t& entry = found->second;
    entry.last_reason = why;
    if (now - entry.interval_start < interval_) {
        ++entry.held;
        return {};
    }
    // A new interval: this refusal is logged, with what the last one held back.
    std::string line = "refused " + shown(key) + ": " + std::string(why);
    if (entry.held > 0)
        line += " (and " + std::to_string(entry.held) + " more before it, not logged)";
    entry.interval_start = now;
    entry.held = 0;
    return line;
}

std::vector<std::string> refusal_log_t::flush(clock::time_point now) {
    std::vector<std::string> lines;
    for (auto it = entries_.begin(); it != entries_.end();) {
        const entry_t& entry = it->second;
        if (now - entry.interval_start < interval_) {
            ++it;
            continue;
        }
        if (entry.held > 0)
            lines.push_back("refused " + shown(it->first) + " " + std::to_string(entry.held) +
                            " more times (last: " + entry.last_reason + ")");
        it = entries_.erase(it);
    }
    return lines;
}

} // namespace zd::security

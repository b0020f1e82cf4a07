#include "cli/journal_log_options.hpp"

#include <charconv>
#include <stdexcept>
#include <string>

namespace zd::journal {

void apply_fsync_option(std::string_view text, log_options_t& log) {
    if (text == "always" || text == "batch" || text == "never") {
        log.policy = text == "always"  ? fsync_policy::always
                     : text == "batch" ? fsync_policy::batch
                                       : fsync_policy::never;
        return;
    }
    constexpr std::string_view prefix = "interval=";
    if (text.starts_with(prefix)) {
        const char* first = text.data() + prefix.size();
        const char* last = text.data() + text.size();
        long long ms = 0;
        const auto [end, error] = std::from_chars(first, last, ms);
        if (error == std::errc() && end == last && first != last && ms > 0 && ms <= 3600000) {
            log.policy = fsync_policy::interval;
            log.sync_interval = std::chrono::milliseconds(ms);
            return;
        }
    }
    throw std::invalid_argument("bad value '" + std::string(text) +
                                "': expected always, batch, interval=MS (1..3600000) or never");
}

CLI::Validator fsync_option_validator() {
    return CLI::Validator(
        [](std::string& text) {
            log_options_t scratch;
            try {
                apply_fsync_option(text, scratch);
            } catch (const std::invalid_argument& error) {
                return std::string(error.what());
            }
            return std::string();
        },
        "POLICY");
}

} // namespace zd::journal

#include "base/rate_limited_log.hpp"

#include "base/log.hpp"

namespace zd {

rate_limited_log_t::rate_limited_log_t(std::string what, clock::duration window)
    : what_(std::move(what)), rate_(1, window) {}

void rate_limited_log_t::report(std::string_view detail, clock::time_point now) {
    const auto verdict = rate_.admit(now);
    if (!verdict.publish) return;
    std::string line = what_;
    if (!detail.empty()) line.append(": ").append(detail);
    if (verdict.suppressed > 0)
        line += "; " + std::to_string(verdict.suppressed) + " more since the last report";
    log::error(line);
}

} // namespace zd

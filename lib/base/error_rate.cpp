#include "base/error_rate.hpp"

namespace zd {

error_rate_t::error_rate_t(std::uint32_t max_per_window, clock::duration window)
    : max_per_window_(max_per_window), window_(window) {}

error_rate_t::verdict_t error_rate_t::admit(clock::time_point now) {
    // Fixed windows, each opened by the first error after the previous one closed.
    if (!started_ || now - window_start_ >= window_) {
        started_ = true;
        window_start_ = now;
        published_in_window_ = 0;
    }
    if (published_in_window_ >= max_per_window_) {
        ++suppressed_;
        return {};
    }
    ++published_in_window_;
    return {true, take_suppressed()};
}

std::uint64_t error_rate_t::take_suppressed() {
    const std::uint64_t held = suppressed_;
    suppressed_ = 0;
    return held;
}

} // namespace zd

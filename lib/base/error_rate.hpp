// The rate limit of "error" events (--events): every line a program logs as an error is also
// an event, but a peer that makes a device log an error per message (a journal refusing
// oversized records) must not turn the event stream into a flood. At most max_per_window
// errors are published per window (1 s); the rest are counted, and the next one published
// carries how many were held back ("suppressed"), so that the published events plus their
// suppressed counts add up to every error logged. Socketless, with the time passed in: tests
// drive it with a fake clock (tests/base).
#pragma once

#include <chrono>
#include <cstdint>

namespace zd {

class error_rate_t {
public:
    using clock = std::chrono::steady_clock;

    explicit error_rate_t(std::uint32_t max_per_window = 10,
                          clock::duration window = std::chrono::seconds(1));

    struct verdict_t {
        bool publish = false;         // publish this error now
        std::uint64_t suppressed = 0; // if so: errors held back since the last one published
    };
    // One error, logged now.
    verdict_t admit(clock::time_point now);

    // Errors held back and not yet carried by a published one (for a last event at stop);
    // counts them as carried.
    std::uint64_t take_suppressed();

private:
    std::uint32_t max_per_window_;
    clock::duration window_;
    clock::time_point window_start_{};
    std::uint32_t published_in_window_ = 0;
    bool started_ = false;
    std::uint64_t suppressed_ = 0;
};

} // namespace zd

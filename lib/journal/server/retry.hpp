// When zd-journal's loop must wake to try again what could not be done now: a peer at its
// high-water mark (a few ms), a full disk (200 ms). Each role asks; the loop wakes at the
// earliest, and every turn retries everything anyway, so a wake only has to come.
#pragma once

#include <algorithm>
#include <chrono>

namespace zd::journal::server {

using steady = std::chrono::steady_clock;

class retry_t {
public:
    // Wake no later than after delay.
    void after(steady::duration delay) { at_ = std::min(at_, steady::now() + delay); }
    steady::time_point at() const { return at_; }
    // Called at every turn: a wake that came is used up.
    void clear_if_due(steady::time_point now) {
        if (now >= at_) at_ = steady::time_point::max();
    }

private:
    steady::time_point at_ = steady::time_point::max();
};

// A peer at its high-water mark is tried again after this.
inline constexpr std::chrono::milliseconds full_peer_retry{5};

} // namespace zd::journal::server

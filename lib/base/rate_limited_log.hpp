// One error line for a kind of bad input a peer can repeat at will (a malformed request, an
// oversized message, a refused subscription): the first is logged at once, then at most one
// a window (a minute) with how many came since, so a hostile or broken peer cannot flood the
// log or the "error" events, and every one is still accounted for. Counting is the caller's
// (STATS); this only decides which ones are logged. Not thread-safe: one per loop.
#pragma once

#include "base/error_rate.hpp"

#include <chrono>
#include <string>
#include <string_view>

namespace zd {

class rate_limited_log_t {
public:
    using clock = error_rate_t::clock;

    // what: the start of every line, e.g. "control: refused a malformed request".
    explicit rate_limited_log_t(std::string what, clock::duration window = std::chrono::minutes(1));

    // One more of them, with what is particular to this one ("3 frames", a peer's address).
    // Logs "WHAT: DETAIL" (and "; N more since the last report") if the window allows.
    void report(std::string_view detail, clock::time_point now = clock::now());

private:
    std::string what_;
    error_rate_t rate_;
};

} // namespace zd

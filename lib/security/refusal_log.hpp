// Log lines for ZAP refusals, at most one per peer address per interval: a client retrying
// a refused handshake in a loop (libzmq reconnects every 100 ms by default; an attacker much
// faster) must not flood the log. The first refusal from an address is logged at once; the
// ones after it within the interval are counted, and flush() reports the count once the
// interval is over ("refused 5000 times" becomes two lines, not 5000). Memory is bounded:
// past max_addresses, new addresses share one "other addresses" entry until flush() forgets
// the quiet ones. Socketless, with the time passed in: tests drive it on a fake clock.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace zd::security {

class refusal_log_t {
public:
    using clock = std::chrono::steady_clock;

    explicit refusal_log_t(clock::duration interval = std::chrono::seconds(10),
                           std::size_t max_addresses = 1024);

    // One refusal of a peer at address for reason `why`, now. Returns the line to log now,
    // or an empty string when it is only counted.
    std::string refused(std::string_view address, std::string_view why, clock::time_point now);

    // Lines for the addresses whose interval is over and that had refusals held back; forgets
    // every address whose interval is over. Call it about once an interval.
    std::vector<std::string> flush(clock::time_point now);

    std::size_t addresses() const { return entries_.size(); } // tracked now (tests)

private:
    struct entry_t {
        clock::time_point interval_start;
        std::uint64_t held = 0; // refusals counted, not logged, since interval_start
        std::string last_reason;
    };

    clock::duration interval_;
    std::size_t max_addresses_;
    std::unordered_map<std::string, entry_t> entries_;
};

// "other addresses": the entry shared by addresses past the bound.
inline constexpr std::string_view other_addresses = "(other addresses)";

} // namespace zd::security

// The rate limit of "dropped" events: a device that drops messages says so on --events, but
// at most once per interval (1 s) per side, however fast it drops. Drops in between are
// accumulated into the next report, never lost: each report carries the drops since the
// previous one and the running total, and flush() reports what is left at stop. Socketless,
// with the time passed in, so a test drives it with a fake clock (tests/base).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace zd {

class drop_reporter_t {
public:
    using clock = std::chrono::steady_clock;

    struct report_t {
        std::size_t side;      // its index, as given to update()
        std::uint64_t dropped; // since the side's previous report
        std::uint64_t total;   // since the device started
    };

    // sides: how many totals update() takes; interval: the least time between two reports of
    // one side.
    explicit drop_reporter_t(std::size_t sides, clock::duration interval = std::chrono::seconds(1));

    // Takes each side's total of drops now (totals only grow; as many as sides) and returns
    // the reports due: every side with drops not yet reported whose previous report is at
    // least interval old (or that never reported). The others wait for next_due().
    std::vector<report_t> update(std::span<const std::uint64_t> totals, clock::time_point now);

    // When the earliest waiting side may report; clock::time_point::max() if none waits.
    clock::time_point next_due() const;

    // Every side's unreported drops, due or not, as of the last update(): the final reports.
    std::vector<report_t> flush();

private:
    struct side_t {
        std::uint64_t total = 0;    // as last updated
        std::uint64_t reported = 0; // the total in the side's last report
        bool ever_reported = false;
        clock::time_point last_report{};
    };

    report_t report(std::size_t index, clock::time_point now);

    clock::duration interval_;
    std::vector<side_t> sides_;
};

} // namespace zd

// A proxy device's "dropped" events (--events): its counters' drops per side, frontend
// (replies or messages its frontend output refused), backend (the same for the backend
// output) and capture (copies the capture socket could not take), published through a
// drop_reporter_t, so at most one per second per side: {"side": "frontend", "dropped": 17,
// "total": 1024}. Both engines' loops poll it once per turn and wait no longer than
// timeout_ms() for the next; destroying it (the loop ending) publishes what is unreported.
// Without --events it does nothing and costs a branch per turn.
#pragma once

#include "base/counters.hpp"
#include "base/drop_reporter.hpp"

namespace zd {

class proxy_drop_events_t {
public:
    // counters must outlive this object.
    explicit proxy_drop_events_t(const proxy_counters_t& counters);
    ~proxy_drop_events_t(); // the final reports
    proxy_drop_events_t(const proxy_drop_events_t&) = delete;
    proxy_drop_events_t& operator=(const proxy_drop_events_t&) = delete;

    // Publishes the reports due now.
    void poll();

    // Milliseconds until a waiting side's report is due (a poll timeout), -1 if none waits.
    int timeout_ms() const;

private:
    void publish(const std::vector<drop_reporter_t::report_t>& reports) const;

    const proxy_counters_t& counters_;
    const bool enabled_; // an events publisher exists
    drop_reporter_t reporter_{3};
};

} // namespace zd

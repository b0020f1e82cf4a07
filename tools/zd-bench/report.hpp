// The results table: every measurement of a run, folded into medians per row, printed as
// Markdown with each device's figure beside the direct and zmq_proxy baselines of the same
// run, as ratios, followed by a reading against the project's goals.
#pragma once

#include "bench_plan.hpp"
#include "measurement.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace zd::bench {

class report_t {
public:
    // Records one measurement (several per row and path when repeated).
    void add(const measurement_spec_t& spec, const measurement_t& result);
    // Records a measurement that failed: its cell reads "failed".
    void add_failure(const measurement_spec_t& spec);
    // Records the broker-memory measurement (one per run).
    void set_broker_memory(const broker_memory_t& memory) { memory_ = memory; }

    bool has_rows() const { return !rows_.empty(); }

    // The table, one line per row (two for latency: p50 and p99), Markdown.
    std::string table() const;

    // For the broker rows: the device's threads scheduled onto a CPU per request, zmq_proxy
    // beside zd-broker (what most of the CPU per request goes to); empty without them.
    std::string wakeups_table() const;

    // zd-broker alone beside two zd-brokers joined by --peer (path zd-fed), for the rows that
    // measured it; empty if none did.
    std::string federation_table() const;
    bool has_federated() const;

    // One zd device beside two and three chained (paths zd2, zd3), with the ratio per extra
    // hop, for the rows that measured a chain; empty if none did.
    std::string chain_table() const;
    bool has_chains() const;

    // Records a handshake measurement (--curve: plain and CURVE per transport).
    void add_handshake(const handshake_t& handshake) { handshakes_.push_back(handshake); }

    // Each zd device plain beside the same with CURVE (path zd-curve), the ratio and its
    // goal, for the rows that measured zd-curve; empty if none did.
    std::string curve_table() const;
    bool has_curve() const;

    // The handshake measurements as a Markdown table; empty if there were none.
    std::string handshake_table() const;

    // The broker-memory measurement as a Markdown table; empty if there was none.
    std::string memory_table() const;

    // The goals, each as a Markdown list item counting the rows that meet it and naming
    // those that fall short, within the ±10% noise of these machines or beyond it. For the
    // device rows (when measured):
    //  - every zd device at least as fast as zmq_proxy (latency: p50 no higher),
    //  - zd-streamer at least half as fast as direct at 16 B,
    //  - the zd device's CPU per message below zmq_proxy's.
    // For the zd-curve rows (when measured): with CURVE at least 0.25x the plain zd device's
    // rate below 1 KiB and 0.5x from 1 KiB; a new CURVE client's handshake and first round
    // trip below handshake_goal_ms (median).
    // For the broker rows (when measured):
    //  - zd-broker's CPU per request at most 2x zmq_proxy's (pipelined rows),
    //  - pipelined with 4 workers (or more), at least 0.5x zmq_proxy's rate,
    //  - one request outstanding, p50 at most 1.2x zmq_proxy's,
    //  - resident memory flat: at most 1 MiB of growth over the second half of each
    //    broker-memory phase (a leak of 2 bytes per request, or 21 per name, shows).
    std::string goals() const;

private:
    struct row_t {
        pattern_t pattern;
        transport_t transport;
        std::size_t size;
        int workers;
        std::map<path_t, std::vector<measurement_t>> runs;
        std::map<path_t, int> failures;
    };
    row_t& row_for(const measurement_spec_t& spec);
    std::string handshake_verdict() const;
    static constexpr double handshake_goal_ms = 10.0;

    std::vector<row_t> rows_; // in the order measured
    std::optional<broker_memory_t> memory_;
    std::vector<handshake_t> handshakes_; // in the order measured
};

} // namespace zd::bench

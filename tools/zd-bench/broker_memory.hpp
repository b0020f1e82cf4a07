// What the broker-memory measurement needs beside the process plumbing of measurement.cpp:
// reading a process's resident memory from /proc, and an in-process MDP/0.2 client that
// asks zd-broker for many services nobody serves (and mmi.service about as many more), so
// that the broker must create and then forget them. Memory that grows with the names ever
// seen, rather than with those alive, is the leak this looks for.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <zmq.hpp>

namespace zd::bench {

struct resident_memory_t {
    std::uint64_t rss_kib = 0;  // VmRSS: resident now
    std::uint64_t peak_kib = 0; // VmHWM: the most resident since start (or the last reset)
};

// Reads /proc/PID/status. Throws std::runtime_error if the process is gone.
resident_memory_t read_resident_memory(pid_t pid);

// Resets VmHWM to the current RSS (writes 5 to /proc/PID/clear_refs); false if the kernel
// refuses, and the caller then relies on its own samples.
bool reset_peak_memory(pid_t pid);

// One phase of the measurement. Requests: RSS after warm-up (start), half way, at the end
// (settled = end). Names, in two rounds of half the names each: RSS before the first
// (start), once the broker has forgotten the first round (half), at the end of the second
// (end), once it has forgotten that too (settled). Comparing the two forgotten states
// cancels the live services a round holds at its peak and the allocator's retained pages.
struct memory_phase_t {
    std::uint64_t amount = 0; // requests, or distinct names
    double seconds = 0;
    std::uint64_t start_kib = 0;
    std::uint64_t half_kib = 0;
    std::uint64_t end_kib = 0;
    std::uint64_t settled_kib = 0;
    std::uint64_t peak_kib = 0;
    // The growth the flatness goal judges: end - half (requests), settled - half (names).
    std::int64_t second_half_growth_kib = 0;
};

struct broker_memory_t {
    memory_phase_t requests;
    memory_phase_t names;
    std::uint64_t not_found = 0;     // mmi.service answers "404" (one per name expected)
    std::uint64_t expired = 0;       // from the broker's statistics at the end
    std::uint64_t rejected = 0;      //
    std::int64_t services_left = -1; // services_known once settled (-1: never asked)
    std::string broker_options;      // the zd-broker options the phases ran with
};

// An MDP/0.2 client inside zd-bench itself (timing does not matter here, memory does).
class names_client_t {
public:
    // Connects a DEALER to endpoint (">tcp://..."). Throws zmq::error_t on failure.
    explicit names_client_t(const std::string& endpoint);

    // For each i from first to first + count: a REQUEST of size bytes to "unknown.<i>"
    // (never answered; it expires) and mmi.service for "absent.<i>", at most per_second
    // names a second and with at most 100 mmi.service queries unanswered (a broker slower
    // than that sets the pace). progress(i) runs after each name and may throw to abort.
    // Returns the number of "404" answers. Throws std::runtime_error when the broker stops
    // answering for 10 s.
    std::uint64_t flood(std::uint64_t first, std::uint64_t count, std::size_t size,
                        double per_second, const std::function<void(std::uint64_t)>& progress);

    // The broker's statistics (mmi.stats), or nullopt after timeout.
    std::optional<std::string> stats(std::chrono::milliseconds timeout);

private:
    // Receives one reply whose service frame is service; returns its body, or nullopt if
    // none came before deadline. Other replies are skipped.
    std::optional<std::string> receive_reply(std::string_view service,
                                             std::chrono::steady_clock::time_point deadline);

    zmq::context_t context_{1};
    zmq::socket_t socket_{context_, zmq::socket_type::dealer};
};

// The unsigned number after "key": in a flat JSON text (first occurrence), or nullopt.
std::optional<std::uint64_t> json_number(const std::string& json, const std::string& key);

} // namespace zd::bench

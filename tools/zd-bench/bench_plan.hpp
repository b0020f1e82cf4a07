// What zd-bench measures: the patterns, paths, transports and sizes, their names on the
// command line and in the table, and the settings one measurement runs with.
// Kept apart from main.cpp so the roles, the measurement and the report share one vocabulary.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace zd::bench {

// broker: pipelined requests through a Majordomo broker (or its baselines) to 1..N workers;
// broker_latency: one request outstanding through the same; broker_memory: the zd-broker's
// resident memory across many requests and many unknown service names (no baselines).
enum class pattern_t { streamer, forwarder, queue, latency, broker, broker_latency, broker_memory };
// zd_federated (broker patterns only): two zd-brokers joined by --peer, the client on one and
// the workers on the other, so every request crosses the link (docs/FEDERATION.md).
enum class path_t { direct, zmq_proxy, zd, zd_federated };
enum class transport_t { tcp, ipc };

// Names as typed on the command line and printed in the table.
std::string_view name_of(pattern_t pattern);
std::string_view name_of(path_t path);
std::string_view name_of(transport_t transport);

// Parse one name; throw std::invalid_argument naming the value and the choices.
pattern_t parse_pattern(std::string_view text);
path_t parse_path(std::string_view text);
transport_t parse_transport(std::string_view text);

// Parses a message size: bytes, or with a K/KiB/M/MiB suffix ("4K" = 4096).
// Throws std::invalid_argument for anything else, or a size of 0 or above 256 MiB.
std::size_t parse_size(std::string_view text);

// "16 B", "4 KiB", "64 KiB".
std::string size_label(std::size_t bytes);

// The device executable that plays the pattern's device ("zd-streamer", ...).
std::string_view zd_device_name(pattern_t pattern);

// True for the broker patterns, whose peers are the broker client and worker roles.
bool is_broker_pattern(pattern_t pattern);

// Settings every measurement of one run shares.
struct run_settings_t {
    std::chrono::duration<double> duration{1.0}; // timed window
    std::chrono::duration<double> warmup{0.2};   // after the first message, before the window
    std::uint64_t count = 10'000'000;            // the upstream peer sends at most this many
    int in_flight = 100;                         // queue pattern: requests outstanding
    std::filesystem::path self;                  // this executable, re-executed for the roles
    std::filesystem::path devices_dir;           // where zd-queue & co. live
    std::vector<std::string> device_wrapper;     // e.g. {"valgrind", "--tool=callgrind"}
    std::vector<std::string> zd_arguments;       // extra options for the zd devices only
    std::filesystem::path temp_dir;              // ipc sockets go here
    std::uint64_t memory_requests = 1'000'000;   // broker-memory: requests through one worker
    std::uint64_t memory_names = 100'000;        // broker-memory: distinct unknown services
    // broker-memory: zd-broker's --request-timeout. Long enough that no request of the
    // first phase expires behind the others when a worker is descheduled on a busy
    // machine (200 ms lost some), short enough to forget the unknown names quickly.
    std::chrono::milliseconds memory_request_timeout{1000};
    bool verbose = false;
};

} // namespace zd::bench

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
// streamer_latency, forwarder_latency: one message in flight through the streamer or the
// forwarder, each timed one way (the sender's steady clock in its first 8 bytes, read by the
// receiver on the same host).
enum class pattern_t {
    streamer,
    forwarder,
    queue,
    latency,
    broker,
    broker_latency,
    broker_memory,
    streamer_latency,
    forwarder_latency
};
// zd_federated (broker patterns only): two zd-brokers joined by --peer, the client on one and
// the workers on the other, so every request crosses the link (docs/FEDERATION.md).
// zd_chain2, zd_chain3 (not the broker patterns): two or three of the pattern's zd devices
// chained, each one's frontend connected to the previous one's backend (docs/TOPOLOGIES.md).
// zd_curve (not the broker patterns): the one zd device with CURVE on both sides and its
// peers as CURVE clients (--curve), beside the plain zd path of the same run.
enum class path_t { direct, zmq_proxy, zd, zd_federated, zd_chain2, zd_chain3, zd_curve };
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

// True for the patterns that time messages (p50/p99) rather than count them.
bool is_latency_pattern(pattern_t pattern);

// True for the one-way latency patterns (streamer_latency, forwarder_latency).
bool is_one_way_latency(pattern_t pattern);

// The pattern's sockets: the forwarder's (PUB/SUB) or else the streamer's (PUSH/PULL) for
// the one-way patterns.
bool is_pub_sub(pattern_t pattern);

// How many zd devices a path runs in a row: 1 for zd, zd-curve and zd-fed's first hop, 2 or
// 3 for the chains, 0 for direct and zmq_proxy.
int chained_devices(path_t path);

// The certificates of a --curve run, made in the run's temp dir (zd-bench's curve_keys):
// the device's secret certificate and allow directory (holding the peers' public one), and
// the peers' secret certificate and the device's public one.
struct curve_files_t {
    std::filesystem::path device_certificate; // --curve-cert of the device (NAME_secret)
    std::filesystem::path allow_dir;          // --curve-allow of the device
    std::filesystem::path peer_certificate;   // the peers' own (NAME_secret)
    std::filesystem::path server_public;      // the device's public certificate
};

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
    curve_files_t curve; // zd-curve path and handshake (--curve)
    int handshakes = 20; // --curve: timed handshakes per path
    bool verbose = false;
};

} // namespace zd::bench

// The control protocol every device answers on --control (see docs/ARCHITECTURE.md).
// libzmq's steerable-proxy commands PAUSE, RESUME, TERMINATE and STATISTICS, with the same
// reply shapes as zmq_proxy_steerable with a REP control socket, plus STATS, answered with
// one JSON object. The server is a ROUTER that never blocks: REQ and DEALER clients both
// work, and a client that stops reading never stalls the device.
#pragma once

#include "base/counters.hpp"
#include "base/endpoints.hpp"
#include "base/rate_limited_log.hpp"
#include "base/socket_options.hpp"

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>
#include <zmq.hpp>

namespace zd {

class json_writer_t;
class peer_table_t;
class waiting_report_t;
class subscription_table_t;

// How a device's loop ended: a stop signal (SIGINT/SIGTERM) or TERMINATE on its control
// socket.
enum class loop_exit { signal, terminate };

enum class control_command { pause, resume, terminate, statistics, stats, subscriptions, unknown };

// Maps a command frame to a command. Exact, upper-case names as libzmq expects.
control_command parse_control_command(std::string_view text);

// libzmq's STATISTICS reply (zmq_proxy_steerable's eight uint64 values, in its order):
// what the frontend socket read and sent, then the same for the backend. A device without
// two sides fills what it has, by name, and leaves the rest 0.
struct statistics_t {
    std::uint64_t frontend_messages_in = 0;
    std::uint64_t frontend_bytes_in = 0;
    std::uint64_t frontend_messages_out = 0;
    std::uint64_t frontend_bytes_out = 0;
    std::uint64_t backend_messages_in = 0;
    std::uint64_t backend_bytes_in = 0;
    std::uint64_t backend_messages_out = 0;
    std::uint64_t backend_bytes_out = 0;

    // The eight values in the reply's order.
    std::array<std::uint64_t, 8> values() const;
};

// A proxy's STATISTICS: frontend "out" is what went backend -> frontend, backend "in" is
// what the backend read.
statistics_t statistics_values(const proxy_counters_t& counters);

// Who a device is, for the STATS reply.
struct device_description_t {
    std::string name;          // e.g. "zd-queue"
    std::string frontend_type; // e.g. "ROUTER"
    std::string backend_type;
    endpoint_list_t frontend;
    endpoint_list_t backend;
    endpoint_list_t capture;
    endpoint_list_t control;
    std::string engine = "libzmq";       // the data path: "libzmq" or "native" (zd-streamer)
    const peer_table_t* peers = nullptr; // who is connected (sides frontend, backend), if known
    const waiting_report_t* waiting = nullptr; // what waits in the engine, set by the engine
    const subscription_table_t* subscriptions = nullptr; // zd-forwarder's, fed by its engine
    // Members a device adds to its STATS object last (zd-forwarder's last-value cache); called
    // on the thread that answers STATS.
    std::function<void(json_writer_t&)> more_stats = nullptr;
};

// The STATS reply: one JSON object (device, pid, uptime, state, endpoints, peers, what is
// waiting, counters).
std::string stats_json(const device_description_t& device, const proxy_counters_t& counters,
                       bool paused, std::uint64_t uptime_ms);

// Where the command frame of a control request is: requests are routing id, an optional
// empty delimiter (from REQ clients), the command, and any further frames (ignored).
// Takes the frame sizes; returns the command's index, or -1 if the request has no command.
int control_command_index(const std::size_t* frame_sizes, std::size_t frame_count);

// A reply is a list of frames.
using control_reply_t = std::vector<zmq::message_t>;

// The answer every device gives: PAUSE, RESUME and TERMINATE set paused / terminate (and are
// answered with an empty reply), STATISTICS sends the eight values, STATS the object
// stats_json makes, anything else (SUBSCRIPTIONS too: only a forwarder answers it, in
// answer_proxy_control) an ERROR naming the command. Devices differ only in their
// statistics and their STATS object.
control_reply_t answer_control(control_command command, std::string_view text, bool& paused,
                               bool& terminate, const statistics_t& statistics,
                               const std::function<std::string()>& stats_json);

// The members every STATS object opens with, in this order: device, version, pid,
// uptime_ms, state ("running", "paused", or a device's own such as "disk_full"). json must
// be inside the object, before any other member.
void write_stats_header(json_writer_t& json, std::string_view device, std::uint64_t uptime_ms,
                        std::string_view state);

// Milliseconds on the steady clock: what a device's uptime in STATS is counted from.
std::uint64_t steady_ms();

// The answer of a proxy device, whichever engine runs it: answer_control with its
// counters' STATISTICS, and STATS from stats_json with the uptime since started_ms
// (steady_ms() when its loop started); SUBSCRIPTIONS, when the description has
// subscriptions, with their list (subscription_table_t::list_json).
control_reply_t answer_proxy_control(control_command command, std::string_view text, bool& paused,
                                     bool& terminate, const device_description_t& description,
                                     const proxy_counters_t& counters, std::uint64_t started_ms);

// Control requests are tiny; anything larger is refused by libzmq before it costs memory.
constexpr long long control_max_message_size = 64 * 1024;

class control_server_t {
public:
    // Creates the ROUTER control socket and attaches it. Throws on a bad endpoint.
    control_server_t(zmq::context_t& context, const endpoint_list_t& endpoints,
                     const socket_options_t& options);

    zmq::socket_t& socket() { return socket_; }

    // The endpoints as attached (wildcard ports resolved).
    const endpoint_list_t& endpoints() const { return endpoints_; }

    // Reads every command waiting on the socket, without blocking, and sends each the reply
    // the handler returns. Malformed requests (no body frame) are dropped and counted.
    // Replies to a client that is gone or not reading are dropped.
    void
    serve_pending(const std::function<control_reply_t(control_command, std::string_view)>& handler);

    std::uint64_t malformed_requests() const { return malformed_; }

private:
    zmq::socket_t socket_;
    endpoint_list_t endpoints_;
    std::uint64_t malformed_ = 0;
    rate_limited_log_t malformed_log_{"control: ignored a request that is not [id, [empty,] "
                                      "command, ...]"};
};

} // namespace zd

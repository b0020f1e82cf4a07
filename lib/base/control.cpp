#include "base/control.hpp"

#include "base/events.hpp"
#include "base/peer_table.hpp"
#include "base/subscription_table.hpp"
#include "base/waiting_report.hpp"

#include "base/json_writer.hpp"
#include "base/message_io.hpp"

#include <chrono>
#include <unistd.h>

namespace zd {

control_command parse_control_command(std::string_view text) {
    if (text == "PAUSE") return control_command::pause;
    if (text == "RESUME") return control_command::resume;
    if (text == "TERMINATE") return control_command::terminate;
    if (text == "STATISTICS") return control_command::statistics;
    if (text == "STATS") return control_command::stats;
    if (text == "SUBSCRIPTIONS") return control_command::subscriptions;
    return control_command::unknown;
}

std::array<std::uint64_t, 8> statistics_t::values() const {
    return {frontend_messages_in, frontend_bytes_in, frontend_messages_out, frontend_bytes_out,
            backend_messages_in,  backend_bytes_in,  backend_messages_out,  backend_bytes_out};
}

statistics_t statistics_values(const proxy_counters_t& counters) {
    const auto& forward = counters.frontend_to_backend;
    const auto& backward = counters.backend_to_frontend;
    return {.frontend_messages_in = forward.received_messages,
            .frontend_bytes_in = forward.received_bytes,
            .frontend_messages_out = backward.sent_messages,
            .frontend_bytes_out = backward.sent_bytes,
            .backend_messages_in = backward.received_messages,
            .backend_bytes_in = backward.received_bytes,
            .backend_messages_out = forward.sent_messages,
            .backend_bytes_out = forward.sent_bytes};
}

control_reply_t answer_control(control_command command, std::string_view text, bool& paused,
                               bool& terminate, const statistics_t& statistics,
                               const std::function<std::string()>& stats_json) {
    control_reply_t reply;
    switch (command) {
    case control_command::pause:
        if (!paused) events::emit("paused");
        paused = true;
        break;
    case control_command::resume:
        if (paused) events::emit("resumed");
        paused = false;
        break;
    case control_command::terminate:
        terminate = true;
        break;
    case control_command::statistics:
        for (std::uint64_t value : statistics.values())
            reply.emplace_back(&value, sizeof value);
        break;
    case control_command::stats:
        reply.emplace_back(stats_json());
        break;
    case control_command::subscriptions:
    case control_command::unknown:
        reply.emplace_back("ERROR unknown command '" + std::string(text) +
                           "' (expected PAUSE, RESUME, TERMINATE, STATISTICS or STATS)");
        break;
    }
    return reply;
}

namespace {

void write_endpoints(json_writer_t& json, const endpoint_list_t& endpoints) {
    json.begin_array();
    for (const auto& endpoint : endpoints)
        json.value(endpoint.to_string());
    json.end_array();
}

void write_direction(json_writer_t& json, const direction_counters_t& counters) {
    json.begin_object()
        .key("received_messages")
        .value(counters.received_messages)
        .key("received_bytes")
        .value(counters.received_bytes)
        .key("sent_messages")
        .value(counters.sent_messages)
        .key("sent_bytes")
        .value(counters.sent_bytes)
        .key("dropped_messages")
        .value(counters.dropped_messages)
        .end_object();
}

} // namespace

void write_stats_header(json_writer_t& json, std::string_view device, std::uint64_t uptime_ms,
                        std::string_view state) {
    json.key("device")
        .value(device)
        .key("version")
        .value(ZD_VERSION)
        .key("pid")
        .value(std::int64_t(getpid()))
        .key("uptime_ms")
        .value(uptime_ms)
        .key("state")
        .value(state);
}

std::string stats_json(const device_description_t& device, const proxy_counters_t& counters,
                       bool paused, std::uint64_t uptime_ms) {
    json_writer_t json;
    json.begin_object();
    write_stats_header(json, device.name, uptime_ms, paused ? "paused" : "running");
    json.key("engine").value(device.engine);
    json.key("frontend").begin_object().key("type").value(device.frontend_type).key("endpoints");
    write_endpoints(json, device.frontend);
    json.end_object();
    json.key("backend").begin_object().key("type").value(device.backend_type).key("endpoints");
    write_endpoints(json, device.backend);
    json.end_object();
    json.key("capture").begin_object().key("endpoints");
    write_endpoints(json, device.capture);
    json.key("messages").value(counters.captured_messages);
    json.key("dropped_messages").value(counters.capture_dropped);
    json.end_object();
    json.key("control");
    write_endpoints(json, device.control);
    if (device.peers) device.peers->write_json(json);
    if (device.waiting) device.waiting->write_json(json);
    if (device.subscriptions) device.subscriptions->write_json(json);
    if (device.more_stats) device.more_stats(json);
    json.key("frontend_to_backend");
    write_direction(json, counters.frontend_to_backend);
    json.key("backend_to_frontend");
    write_direction(json, counters.backend_to_frontend);
    json.end_object();
    return json.str();
}

std::uint64_t steady_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

control_reply_t answer_proxy_control(control_command command, std::string_view text, bool& paused,
                                     bool& terminate, const device_description_t& description,
                                     const proxy_counters_t& counters, std::uint64_t started_ms) {
    if (command == control_command::subscriptions && description.subscriptions) {
        control_reply_t reply;
        reply.emplace_back(description.subscriptions->list_json());
        return reply;
    }
    return answer_control(command, text, paused, terminate, statistics_values(counters), [&] {
        return stats_json(description, counters, paused, steady_ms() - started_ms);
    });
}

int control_command_index(const std::size_t* frame_sizes, std::size_t frame_count) {
    std::size_t index = 1;                                       // after the routing id
    if (index < frame_count && frame_sizes[index] == 0) ++index; // REQ's delimiter
    return index < frame_count ? int(index) : -1;
}

control_server_t::control_server_t(zmq::context_t& context, const endpoint_list_t& endpoints,
                                   const socket_options_t& options)
    : socket_(context, zmq::socket_type::router) {
    socket_options_t control_options = options;
    control_options.max_message_size = control_max_message_size;
    control_options.apply_to(socket_);
    endpoints_ = attach(socket_, endpoints, control_options);
}

void control_server_t::serve_pending(
    const std::function<control_reply_t(control_command, std::string_view)>& handler) {
    while (true) {
        // A request is: routing id, [empty delimiter from REQ], command, [ignored frames].
        // No frame limit of its own: control_max_message_size bounds a request already.
        std::vector<zmq::message_t> frames;
        if (receive_message(socket_, frames) == received::nothing) return;
        std::vector<std::size_t> sizes;
        for (const auto& frame : frames)
            sizes.push_back(frame.size());
        const int command_index = control_command_index(sizes.data(), sizes.size());
        if (command_index < 0) {
            ++malformed_;
            continue;
        }
        const auto body = std::size_t(command_index);
        control_reply_t reply = handler(parse_control_command(frames[body].to_string_view()),
                                        frames[body].to_string_view());
        if (reply.empty()) reply.emplace_back(); // a REQ client always needs an answer
        // Echo the envelope (routing id and delimiter, if any), then the reply frames.
        bool ok = true;
        for (std::size_t i = 0; i < body && ok; ++i)
            ok = socket_.send(frames[i], zmq::send_flags::sndmore | zmq::send_flags::dontwait)
                     .has_value();
        for (std::size_t i = 0; i < reply.size() && ok; ++i) {
            const auto flags =
                i + 1 < reply.size() ? zmq::send_flags::sndmore : zmq::send_flags::none;
            ok = socket_.send(reply[i], flags | zmq::send_flags::dontwait).has_value();
        }
    }
}

} // namespace zd

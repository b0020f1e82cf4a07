#include "mdp/codec.hpp"

#include <initializer_list>
#include <utility>

namespace zd::mdp {

namespace {

decoded_t failure(decode_error error) {
    return decoded_t{error, {}};
}

decode_error check_service(std::string_view name) {
    if (name.empty()) return decode_error::empty_service;
    if (name.size() > max_service_name) return decode_error::service_too_long;
    return decode_error::none;
}

// client: header [request command, 0.2 only] service body+
decoded_t decode_client(const std::string_view* frames, std::size_t count, incoming_t message,
                        std::size_t at) {
    const std::uint8_t request = wire(message.protocol).client.request;
    if (request != no_command) {
        if (at >= count) return failure(decode_error::too_few_frames);
        if (!is_command_frame(frames[at], request)) return failure(decode_error::bad_command);
        ++at;
    }
    if (at >= count) return failure(decode_error::too_few_frames);
    if (auto error = check_service(frames[at]); error != decode_error::none) return failure(error);
    message.what = command::request;
    message.service = at;
    message.body = at + 1;
    if (message.body >= count) return failure(decode_error::missing_body);
    return decoded_t{decode_error::none, message};
}

// The worker command a one-byte frame names in protocol's table; false if none.
bool worker_command(version protocol, std::string_view frame, command& what) {
    const worker_wire_t& table = wire(protocol).worker;
    const std::pair<std::uint8_t, command> commands[] = {
        {table.ready, command::ready},         {table.request, command::worker_request},
        {table.reply, command::reply},         {table.partial, command::partial},
        {table.heartbeat, command::heartbeat}, {table.disconnect, command::disconnect},
    };
    for (const auto& [byte, named] : commands)
        if (is_command_frame(frame, byte)) {
            what = named;
            return true;
        }
    return false;
}

// worker: header command ...
decoded_t decode_worker(const std::string_view* frames, std::size_t count, incoming_t message,
                        std::size_t at) {
    if (at >= count) return failure(decode_error::too_few_frames);
    if (!worker_command(message.protocol, frames[at], message.what))
        return failure(decode_error::bad_command);
    ++at;
    switch (message.what) {
    case command::ready:
        if (at >= count) return failure(decode_error::too_few_frames);
        if (auto error = check_service(frames[at]); error != decode_error::none)
            return failure(error);
        if (at + 1 != count) return failure(decode_error::extra_frames);
        message.service = at;
        break;
    case command::reply:
    case command::partial:
    case command::worker_request:
        // client-address "" body+
        if (at + 1 >= count) return failure(decode_error::too_few_frames);
        if (!frames[at + 1].empty()) return failure(decode_error::missing_delimiter);
        message.client = at;
        message.body = at + 2;
        if (message.body >= count) return failure(decode_error::missing_body);
        break;
    case command::heartbeat:
    case command::disconnect:
        if (at != count) return failure(decode_error::extra_frames);
        break;
    case command::request:
        break; // not a worker command
    }
    return decoded_t{decode_error::none, message};
}

} // namespace

decoded_t decode(const std::string_view* frames, std::size_t count) {
    if (count == 0) return failure(decode_error::no_routing_id);
    incoming_t message;
    std::size_t at = 1;
    if (at < count && frames[at].empty()) {
        message.leading_empty = true;
        ++at;
    }
    if (at >= count) return failure(decode_error::too_few_frames);
    const std::string_view header = frames[at++];
    for (const wire_t* table : {&wire_v01, &wire_v02}) {
        message.protocol = table->protocol;
        if (header == table->client.header) {
            message.peer = peer_kind::client;
            return decode_client(frames, count, message, at);
        }
        if (header == table->worker.header) {
            message.peer = peer_kind::worker;
            return decode_worker(frames, count, message, at);
        }
    }
    return failure(decode_error::unknown_protocol);
}

const char* describe(decode_error error) {
    switch (error) {
    case decode_error::none:
        return "valid";
    case decode_error::no_routing_id:
        return "no routing id";
    case decode_error::too_few_frames:
        return "too few frames";
    case decode_error::unknown_protocol:
        return "unknown protocol header";
    case decode_error::bad_command:
        return "bad command frame";
    case decode_error::empty_service:
        return "empty service name";
    case decode_error::service_too_long:
        return "service name too long";
    case decode_error::missing_delimiter:
        return "no empty frame after the client address";
    case decode_error::missing_body:
        return "no body frame";
    case decode_error::extra_frames:
        return "unexpected extra frames";
    }
    return "unknown error";
}

} // namespace zd::mdp

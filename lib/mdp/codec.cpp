#include "mdp/codec.hpp"

namespace zd::mdp {

namespace {

bool is_command_frame(std::string_view frame) {
    return frame.size() == 1;
}
std::uint8_t byte_of(std::string_view frame) {
    return static_cast<std::uint8_t>(frame[0]);
}

decoded_t failure(decode_error error) {
    return decoded_t{error, {}};
}

decode_error check_service(std::string_view name) {
    if (name.empty()) return decode_error::empty_service;
    if (name.size() > max_service_name) return decode_error::service_too_long;
    return decode_error::none;
}

// client: [header] [0x01 if 0.2] service body+
decoded_t decode_client(const std::string_view* frames, std::size_t count, incoming_t message,
                        std::size_t at) {
    if (message.protocol == version::v02) {
        if (at >= count) return failure(decode_error::too_few_frames);
        if (!is_command_frame(frames[at]) || byte_of(frames[at]) != 0x01)
            return failure(decode_error::bad_command);
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

command worker_command(version protocol, std::uint8_t byte, bool& known) {
    known = true;
    if (protocol == version::v01) {
        switch (byte) {
        case 0x01:
            return command::ready;
        case 0x02:
            return command::worker_request;
        case 0x03:
            return command::reply;
        case 0x04:
            return command::heartbeat;
        case 0x05:
            return command::disconnect;
        }
    } else {
        switch (byte) {
        case 0x01:
            return command::ready;
        case 0x02:
            return command::worker_request;
        case 0x03:
            return command::partial;
        case 0x04:
            return command::reply;
        case 0x05:
            return command::heartbeat;
        case 0x06:
            return command::disconnect;
        }
    }
    known = false;
    return command::heartbeat;
}

// worker: [header] command ...
decoded_t decode_worker(const std::string_view* frames, std::size_t count, incoming_t message,
                        std::size_t at) {
    if (at >= count) return failure(decode_error::too_few_frames);
    if (!is_command_frame(frames[at])) return failure(decode_error::bad_command);
    bool known = false;
    message.what = worker_command(message.protocol, byte_of(frames[at]), known);
    if (!known) return failure(decode_error::bad_command);
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
    if (header == client_header_v01 || header == client_header_v02) {
        message.peer = peer_kind::client;
        message.protocol = header == client_header_v01 ? version::v01 : version::v02;
        return decode_client(frames, count, message, at);
    }
    if (header == worker_header_v01 || header == worker_header_v02) {
        message.peer = peer_kind::worker;
        message.protocol = header == worker_header_v01 ? version::v01 : version::v02;
        return decode_worker(frames, count, message, at);
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

std::string_view client_header(version v) {
    return v == version::v01 ? client_header_v01 : client_header_v02;
}
std::string_view worker_header(version v) {
    return v == version::v01 ? worker_header_v01 : worker_header_v02;
}
std::uint8_t worker_request_byte(version) {
    return 0x02;
}
std::uint8_t worker_heartbeat_byte(version v) {
    return v == version::v01 ? 0x04 : 0x05;
}
std::uint8_t worker_disconnect_byte(version v) {
    return v == version::v01 ? 0x05 : 0x06;
}

} // namespace zd::mdp

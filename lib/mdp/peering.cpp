#include "mdp/peering.hpp"

#include "mdp/codec.hpp"

namespace zd::mdp::peering {

namespace {

decoded_t failure(decode_error error) {
    return decoded_t{error, {}};
}

decode_error check_service(std::string_view name) {
    if (name.empty()) return decode_error::empty_service;
    if (name.size() > max_service_name) return decode_error::service_too_long;
    return decode_error::none;
}

bool valid_path(std::string_view path) {
    return !path.empty() && path.size() % broker_id_size == 0 &&
           path_length(path) <= max_path_brokers;
}

// HELLO broker-id name kind
decoded_t decode_hello(const std::string_view* frames, std::size_t count, message_t message) {
    if (count < 5) return failure(decode_error::too_few_frames);
    if (count > 5) return failure(decode_error::extra_frames);
    if (frames[2].size() != broker_id_size) return failure(decode_error::bad_broker_id);
    if (frames[3].size() > max_name) return failure(decode_error::name_too_long);
    if (frames[4].size() != 1 || std::uint8_t(frames[4][0]) > 1)
        return failure(decode_error::bad_hello_kind);
    message.ask = frames[4][0] == 0;
    return decoded_t{decode_error::none, message};
}

// ROUTE (service capacity path)+
decoded_t decode_route(const std::string_view* frames, std::size_t count, message_t message) {
    if (count < 5) return failure(decode_error::too_few_frames);
    if ((count - 2) % 3 != 0) return failure(decode_error::bad_route);
    for (std::size_t at = 2; at < count; at += 3) {
        if (check_service(frames[at]) != decode_error::none ||
            frames[at + 1].size() != capacity_size || !valid_path(frames[at + 2]))
            return failure(decode_error::bad_route);
    }
    return decoded_t{decode_error::none, message};
}

// WITHDRAW service+
decoded_t decode_withdraw(const std::string_view* frames, std::size_t count, message_t message) {
    if (count < 3) return failure(decode_error::too_few_frames);
    for (std::size_t at = 2; at < count; ++at)
        if (auto error = check_service(frames[at]); error != decode_error::none)
            return failure(error);
    return decoded_t{decode_error::none, message};
}

// REQUEST request-id service path body+
decoded_t decode_request(const std::string_view* frames, std::size_t count, message_t message) {
    if (count < 6) return failure(decode_error::too_few_frames);
    if (frames[2].size() != request_id_size) return failure(decode_error::bad_request_id);
    if (auto error = check_service(frames[3]); error != decode_error::none) return failure(error);
    if (!valid_path(frames[4])) return failure(decode_error::bad_path);
    message.request = decode_u64(frames[2]);
    message.service = 3;
    message.path = 4;
    message.body = 5;
    return decoded_t{decode_error::none, message};
}

// REPLY request-id final body+
decoded_t decode_reply(const std::string_view* frames, std::size_t count, message_t message) {
    if (count < 5) return failure(decode_error::too_few_frames);
    if (frames[2].size() != request_id_size) return failure(decode_error::bad_request_id);
    if (frames[3].size() != 1 || std::uint8_t(frames[3][0]) > 1)
        return failure(decode_error::bad_final);
    message.request = decode_u64(frames[2]);
    message.final = frames[3][0] == 1;
    message.body = 4;
    return decoded_t{decode_error::none, message};
}

// REFUSE request-id reason
decoded_t decode_refuse(const std::string_view* frames, std::size_t count, message_t message) {
    if (count < 4) return failure(decode_error::too_few_frames);
    if (count > 4) return failure(decode_error::extra_frames);
    if (frames[2].size() != request_id_size) return failure(decode_error::bad_request_id);
    if (frames[3].size() > max_reason) return failure(decode_error::reason_too_long);
    message.request = decode_u64(frames[2]);
    return decoded_t{decode_error::none, message};
}

} // namespace

decoded_t decode(const std::string_view* frames, std::size_t count) {
    if (count < 2) return failure(decode_error::too_few_frames);
    if (frames[0] != header) return failure(decode_error::not_peering);
    if (frames[1].size() != 1) return failure(decode_error::bad_command);
    message_t message;
    message.what = command(std::uint8_t(frames[1][0]));
    switch (message.what) {
    case command::hello:
        return decode_hello(frames, count, message);
    case command::heartbeat:
        if (count > 2) return failure(decode_error::extra_frames);
        return decoded_t{decode_error::none, message};
    case command::route:
        return decode_route(frames, count, message);
    case command::withdraw:
        return decode_withdraw(frames, count, message);
    case command::request:
        return decode_request(frames, count, message);
    case command::reply:
        return decode_reply(frames, count, message);
    case command::refuse:
        return decode_refuse(frames, count, message);
    }
    return failure(decode_error::bad_command);
}

const char* describe(decode_error error) {
    switch (error) {
    case decode_error::none:
        return "no error";
    case decode_error::too_few_frames:
        return "too few frames";
    case decode_error::not_peering:
        return "not a peering message";
    case decode_error::bad_command:
        return "unknown peering command";
    case decode_error::bad_broker_id:
        return "broker id is not 8 bytes";
    case decode_error::bad_hello_kind:
        return "HELLO's kind is not 0 or 1";
    case decode_error::name_too_long:
        return "broker name longer than 255 bytes";
    case decode_error::bad_route:
        return "malformed ROUTE";
    case decode_error::bad_request_id:
        return "request id is not 8 bytes";
    case decode_error::empty_service:
        return "empty service name";
    case decode_error::service_too_long:
        return "service name longer than 255 bytes";
    case decode_error::bad_path:
        return "malformed path";
    case decode_error::bad_final:
        return "REPLY's final flag is not 0 or 1";
    case decode_error::reason_too_long:
        return "REFUSE reason longer than 255 bytes";
    case decode_error::extra_frames:
        return "extra frames";
    }
    return "unknown error";
}

std::string encode_u64(std::uint64_t value) {
    std::string bytes(8, '\0');
    for (int i = 7; i >= 0; --i, value >>= 8)
        bytes[std::size_t(i)] = char(value & 0xff);
    return bytes;
}

std::string encode_u32(std::uint32_t value) {
    std::string bytes(4, '\0');
    for (int i = 3; i >= 0; --i, value >>= 8)
        bytes[std::size_t(i)] = char(value & 0xff);
    return bytes;
}

std::uint64_t decode_u64(std::string_view bytes) {
    std::uint64_t value = 0;
    for (char byte : bytes)
        value = value << 8 | std::uint8_t(byte);
    return value;
}

std::uint32_t decode_u32(std::string_view bytes) {
    std::uint32_t value = 0;
    for (char byte : bytes)
        value = value << 8 | std::uint8_t(byte);
    return value;
}

bool path_contains(std::string_view path, std::string_view broker_id) {
    for (std::size_t at = 0; at + broker_id_size <= path.size(); at += broker_id_size)
        if (path.substr(at, broker_id_size) == broker_id) return true;
    return false;
}

bool paths_meet(std::string_view a, std::string_view b) {
    for (std::size_t at = 0; at + broker_id_size <= a.size(); at += broker_id_size)
        if (path_contains(b, a.substr(at, broker_id_size))) return true;
    return false;
}

std::string hex_id(std::string_view broker_id) {
    static const char digits[] = "0123456789abcdef";
    std::string text;
    for (char byte : broker_id) {
        text += digits[std::uint8_t(byte) >> 4];
        text += digits[std::uint8_t(byte) & 0xf];
    }
    return text;
}

} // namespace zd::mdp::peering

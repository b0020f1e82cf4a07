// Majordomo wire format: decoding what a broker's ROUTER receives and encoding what it sends.
// Covers MDP/0.1 (7/MDP) and MDP/0.2 (18/MDP) clients and workers on one socket, told apart
// by their header frame; a leading empty frame is accepted on every message (REQ sockets and
// 0.1 peers add one, some 0.2 implementations do too) and mirrored in the replies.
// Decoding looks only at frame views and never copies or allocates, so the hot path stays
// cheap and the fuzzer can drive it from raw bytes. Frame tables: docs/BROKER.md.
#pragma once

#include "mdp/wire.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace zd::mdp {

enum class peer_kind : std::uint8_t { client, worker };

enum class command : std::uint8_t {
    request,        // client -> broker: a request for a service
    ready,          // worker -> broker: serving a service
    reply,          // worker -> broker: final answer (0.1 REPLY, 0.2 FINAL)
    partial,        // worker -> broker: part of an answer (0.2 only)
    heartbeat,      // worker -> broker
    disconnect,     // worker -> broker
    worker_request, // worker -> broker: REQUEST, valid MDP but never sent by a worker
};

// What went wrong with a message that is not valid MDP.
enum class decode_error : std::uint8_t {
    none,
    no_routing_id,     // not even a routing id: cannot happen on a ROUTER
    too_few_frames,    // shorter than the command needs
    unknown_protocol,  // header frame is not MDPC01/MDPC02/MDPW01/MDPW02
    bad_command,       // command frame is not one known byte
    empty_service,     // a service name of zero bytes
    service_too_long,  // longer than max_service_name
    missing_delimiter, // worker reply without the empty frame after the client address
    missing_body,      // request or reply without a body frame
    extra_frames,      // frames after a command that takes none
};

constexpr std::size_t max_service_name = 255;

// A received message, by frame index (frame 0 is the routing id).
struct incoming_t {
    peer_kind peer = peer_kind::client;
    version protocol = version::v01;
    command what = command::request;
    bool leading_empty = false; // the peer put an empty frame first; mirror it back
    std::size_t service = 0;    // request, ready: index of the service name frame
    std::size_t client = 0;     // reply, partial: index of the client address frame
    std::size_t body = 0;       // request, reply, partial: index of the first body frame
};

struct decoded_t {
    decode_error error = decode_error::none;
    incoming_t message; // valid only when error == none
    bool ok() const { return error == decode_error::none; }
};

// Decodes count frames (data and size each). Never throws.
decoded_t decode(const std::string_view* frames, std::size_t count);

// A short human description of an error, for logs and statistics.
const char* describe(decode_error error);

// Shorthands over the wire table (wire.hpp), for code that names one header or byte.
constexpr std::string_view client_header(version v) {
    return wire(v).client.header;
}
constexpr std::string_view worker_header(version v) {
    return wire(v).worker.header;
}
constexpr std::uint8_t worker_request_byte(version v) {
    return wire(v).worker.request;
}
constexpr std::uint8_t worker_heartbeat_byte(version v) {
    return wire(v).worker.heartbeat;
}
constexpr std::uint8_t worker_disconnect_byte(version v) {
    return wire(v).worker.disconnect;
}
constexpr std::uint8_t client_partial_byte = wire_v02.client.partial; // 0.2 only
constexpr std::uint8_t client_final_byte = wire_v02.client.final;     // 0.2 only

} // namespace zd::mdp

// Broker peering (federation): the wire format brokers speak to each other over a link, and
// its decoding. A link is one ZeroMQ connection between two zd-brokers: the broker that names
// the other with --peer connects a DEALER to the other's ROUTER (its --endpoint, shared with
// clients and workers); one link carries traffic both ways. Frames (after the ROUTER's
// routing id, which a DEALER side does not see):
//
//   ZDPB01 0x01 HELLO     broker-id name kind          kind: 1 byte, 0 = asks an answer
//   ZDPB01 0x02 HEARTBEAT
//   ZDPB01 0x03 ROUTE     (service capacity path)+      capacity: 4 bytes, big-endian
//   ZDPB01 0x04 WITHDRAW  service+
//   ZDPB01 0x05 REQUEST   request-id service path body+  request-id: 8 bytes, big-endian
//   ZDPB01 0x06 REPLY     request-id final body+         final: 1 byte, 0 = partial, 1 = final
//   ZDPB01 0x07 REFUSE    request-id reason
//
// A path is one frame: the broker ids it names, 8 bytes each, in order. A ROUTE's path starts
// with the advertising broker and ends with the one whose workers serve; a REQUEST's path
// names the brokers it has passed, the sender last. Scheme and rules: docs/FEDERATION.md.
// Decoding looks only at frame views, never copies or allocates, and never throws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace zd::mdp::peering {

inline constexpr std::string_view header = "ZDPB01";
inline constexpr std::size_t broker_id_size = 8;
inline constexpr std::size_t request_id_size = 8;
inline constexpr std::size_t capacity_size = 4;
inline constexpr std::size_t max_name = 255;        // a broker's display name
inline constexpr std::size_t max_reason = 255;      // a REFUSE's reason
inline constexpr std::size_t max_path_brokers = 64; // longer paths are malformed
// The REFUSE reason for a request whose workers kept dying here until max_retries ran out:
// its sender counts a retry (and may fail it), where other refusals are not retries.
inline constexpr std::string_view refuse_failed = "failed";

enum class command : std::uint8_t {
    hello = 0x01,
    heartbeat = 0x02,
    route = 0x03,
    withdraw = 0x04,
    request = 0x05,
    reply = 0x06,
    refuse = 0x07,
};

enum class decode_error : std::uint8_t {
    none,
    too_few_frames,
    not_peering, // the header frame is not ZDPB01
    bad_command,
    bad_broker_id,
    bad_hello_kind,
    name_too_long,
    bad_route, // a ROUTE's frames do not come in threes, or a triple is malformed
    bad_request_id,
    empty_service,
    service_too_long,
    bad_path, // not a multiple of 8 bytes, empty, or too long
    bad_final,
    reason_too_long,
    extra_frames,
};

// A decoded message, by frame index into the views given to decode (0 = the header).
struct message_t {
    command what = command::heartbeat;
    std::size_t first = 2;     // first field after the command frame
    std::uint64_t request = 0; // REQUEST, REPLY, REFUSE
    bool final = true;         // REPLY
    bool ask = false;          // HELLO: wants a HELLO back
    std::size_t service = 0;   // REQUEST
    std::size_t path = 0;      // REQUEST
    std::size_t body = 0;      // REQUEST, REPLY: the first body frame
};

struct decoded_t {
    decode_error error = decode_error::none;
    message_t message;
    bool ok() const { return error == decode_error::none; }
};

// Whether a message (frames after any routing id) is a peering message at all.
inline bool is_peering(const std::string_view* frames, std::size_t count) {
    return count >= 2 && frames[0] == header;
}

// Decodes count frames, header first. Never throws.
decoded_t decode(const std::string_view* frames, std::size_t count);

const char* describe(decode_error error);

// Fixed-width big-endian numbers, as the frames carry them.
std::string encode_u64(std::uint64_t value);
std::string encode_u32(std::uint32_t value);
std::uint64_t decode_u64(std::string_view bytes); // bytes.size() == 8
std::uint32_t decode_u32(std::string_view bytes); // bytes.size() == 4

// Paths: concatenated 8-byte broker ids.
inline std::size_t path_length(std::string_view path) {
    return path.size() / broker_id_size;
}
bool path_contains(std::string_view path, std::string_view broker_id);
// Whether two paths share a broker.
bool paths_meet(std::string_view a, std::string_view b);
// The broker id as 16 hex digits, for logs and STATS.
std::string hex_id(std::string_view broker_id);

} // namespace zd::mdp::peering

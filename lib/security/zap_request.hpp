// The ZAP wire format (27/ZAP), without sockets: what libzmq asks the ZAP handler when a peer
// handshakes on a socket with a ZAP domain, and what the handler answers. Our handler is a
// ROUTER (not the RFC's REP): it sees the envelope, so it can answer several sessions at once
// in any order and keep a malformed request from wedging the socket's REP state machine.
//
// A request as the ROUTER receives it (libzmq writes an empty delimiter in front):
//   routing-id | "" | "1.0" | request-id | domain | address | identity | mechanism | credentials...
// credentials: NULL none; PLAIN username, password; CURVE the client's 32-byte public key;
// GSSAPI the principal. A reply, sent back through the ROUTER:
//   routing-id | "" | "1.0" | request-id | status-code | status-text | user-id | metadata
// status-code is "200" (welcome), "300" (try later), "400" (refused) or "500" (internal error,
// our answer to a malformed request); metadata is ZMTP metadata: per property a 1-byte name
// length, the name, a 4-byte big-endian value length, the value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace zd::security {

inline constexpr std::string_view zap_endpoint = "inproc://zeromq.zap.01";
inline constexpr std::string_view zap_version = "1.0";
inline constexpr std::size_t curve_key_bytes = 32;

enum class zap_mechanism { null, plain, curve, gssapi };
const char* mechanism_name(zap_mechanism mechanism); // "NULL", "PLAIN", "CURVE", "GSSAPI"

struct zap_request_t {
    std::string routing_id; // the ROUTER's name for the libzmq session that asks
    std::string request_id; // echoed in the reply
    std::string domain;     // ZMQ_ZAP_DOMAIN of the server socket
    std::string address;    // the peer's IP address (tcp), ":uid:gid:pid" (ipc), or empty
    std::string identity;   // the peer's ZMQ_ROUTING_ID, often empty
    zap_mechanism mechanism = zap_mechanism::null;
    std::vector<std::string> credentials; // as listed above, checked by count and size
};

// Each way a request can be malformed. Frame counts include the ROUTER envelope.
enum class zap_parse_error {
    none,
    no_envelope,       // fewer than 2 frames: nobody to answer
    missing_delimiter, // frame 1 is not empty
    missing_frames,    // fewer than the 6 frames after the envelope
    wrong_version,     // not "1.0"
    unknown_mechanism, // not NULL, PLAIN, CURVE or GSSAPI
    wrong_credentials, // the wrong number of credential frames for the mechanism
    curve_key_size,    // a CURVE credential that is not 32 bytes
};
const char* describe(zap_parse_error error);

struct zap_parsed_t {
    zap_parse_error error = zap_parse_error::none;
    zap_request_t request; // on error: routing_id and request_id as far as they were read
    bool ok() const { return error == zap_parse_error::none; }
    // Whether a reply can reach the asker: an envelope was read (a malformed request is
    // answered 500 so that libzmq fails the handshake at once instead of waiting).
    bool answerable() const {
        return error != zap_parse_error::no_envelope && error != zap_parse_error::missing_delimiter;
    }
};

// Parses the frames a ROUTER bound to zap_endpoint received. Never throws; reads only the
// frames given.
zap_parsed_t parse_zap_request(const std::string_view* frames, std::size_t count);

// The frames of a request, envelope first: the inverse of parse_zap_request (tests, fuzzing).
std::vector<std::string> encode_zap_request(const zap_request_t& request);

enum class zap_status : std::uint16_t { ok = 200, temporary = 300, refused = 400, internal = 500 };

using zap_metadata_t = std::vector<std::pair<std::string, std::string>>;

struct zap_reply_t {
    std::string routing_id;
    std::string request_id;
    zap_status status = zap_status::refused;
    std::string status_text;
    std::string user_id;
    zap_metadata_t metadata;
};

// ZMTP metadata. Throws std::invalid_argument for an empty name or one over 255 bytes (names
// are ours, so that is a programming error) or a value over 2^31-1 bytes.
std::string encode_zap_metadata(const zap_metadata_t& metadata);
// False if the bytes are not a whole sequence of properties (a length runs past the end).
bool decode_zap_metadata(std::string_view bytes, zap_metadata_t& metadata);

// The frames of a reply, envelope first. Throws as encode_zap_metadata does.
std::vector<std::string> encode_zap_reply(const zap_reply_t& reply);

// Parses reply frames (envelope first): false unless it is a well-formed reply with a known
// status code. For tests and a handler written in a test; libzmq does its own.
bool parse_zap_reply(const std::string_view* frames, std::size_t count, zap_reply_t& reply);

} // namespace zd::security

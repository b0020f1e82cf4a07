// The journal's wire protocols, as the device's ROUTER sockets see them: producers on the
// frontend (PUB -> ACK), consumers on the backend (SUB, REC, ACK) and replay readers on the
// replay socket (READ -> REC... END). Frame tables: docs/JOURNAL.md ("Wire protocol").
// Headers are a line of ASCII tokens so a shell tool or a few lines of pyzmq can speak it.
//
// Decoding looks only at frame views, never copies or allocates, and never throws, so the
// hot path stays cheap and the fuzzer drives it from raw bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace zd::journal::protocol {

// Every message begins with one header frame: a line of ASCII tokens separated by single
// spaces, the command first ("PUB p1 42 40"). Only PUB and REC carry more frames: the
// message itself, its frame boundaries kept. One header frame instead of one frame per field
// halves what libzmq handles per message on the hot path (each frame costs about as much as
// a small message), and keeps the protocol easy to type: zd-send 'PUB shell 1 1|hello'.
inline constexpr std::string_view cmd_publish = "PUB";   // producer -> journal
inline constexpr std::string_view cmd_ack = "ACK";       // journal -> producer, consumer -> journal
inline constexpr std::string_view cmd_nack = "NACK";     // journal -> producer: resend from
inline constexpr std::string_view cmd_subscribe = "SUB"; // consumer -> journal
inline constexpr std::string_view cmd_record = "REC";    // journal -> consumer / reader
inline constexpr std::string_view sub_origin = "origin"; // SUB's opt-in: RECs carry the origin
inline constexpr std::string_view cmd_read = "READ";     // reader -> journal
inline constexpr std::string_view cmd_end = "END";       // journal -> reader
inline constexpr std::string_view cmd_error = "ERR";     // journal -> anyone
inline constexpr std::string_view cmd_ping = "PING";     // anyone -> journal
inline constexpr std::string_view cmd_pong = "PONG";     // journal -> anyone

// Producer ids and consumer names: 1..255 printable ASCII characters, no spaces ('!'..'~').
inline constexpr std::size_t max_name = 255;
inline constexpr std::size_t max_header = 512;        // a longer header frame is refused
inline constexpr std::uint32_t default_window = 1000; // consumer's records in flight
inline constexpr std::uint32_t max_window = 65536;
inline constexpr std::uint32_t max_read_count = 65536; // records per READ

// Where to start reading: SUB and READ take the same forms.
struct position_t {
    enum class kind : std::uint8_t {
        stored,   // "stored" or omitted (SUB only): the consumer's durable offset, else earliest
        earliest, // "earliest"
        latest,   // "latest": only records committed from now on
        offset,   // decimal offset
        time,     // "@" + decimal milliseconds since the Unix epoch
    };
    kind from = kind::stored;
    std::uint64_t value = 0; // offset, or milliseconds for kind::time
};

enum class error_t : std::uint8_t {
    none,
    too_few_frames,  // no header frame
    extra_frames,    // frames after a command that takes none
    unknown_command, // not a command of this socket's protocol
    bad_header,      // too long, empty tokens (double spaces), too few or too many tokens
    bad_name,        // empty, longer than max_name, or a byte outside '!'..'~'
    bad_number,      // not decimal, sign, overflow, or out of range
    bad_position,    // none of the position forms
    no_frames,       // PUB without any message frame
};

const char* describe(error_t error);

// Error codes the journal sends in ERR, MMI-style.
inline constexpr std::string_view status_bad_request = "400";
inline constexpr std::string_view status_not_retained = "404";
inline constexpr std::string_view status_too_large = "413";
inline constexpr std::string_view status_unavailable = "503";

// --- Producer socket (frontend) --------------------------------------------------------
// [routing id] [""]? "PUB producer-id seq base" frame...
//   -> "ACK producer-id seq"        every message with sequence <= seq is durable
//   -> "NACK producer-id expected"  messages from expected on were not stored: resend them
//   -> "ERR code text"
// base is the oldest sequence the producer has not seen acknowledged (1 <= base <= seq).
// The journal stores a producer's messages only in sequence: it expects last stored + 1
// (or base, for a producer it does not know, or when base is higher). Anything after a gap
// is dropped and answered NACK; that closes the hole a reconnect leaves when a DEALER's
// queued messages overtake the ones lost with the old connection.
struct publish_t {
    std::string_view producer;   // 1..max_name printable characters
    std::uint64_t seq = 0;       // >= 1
    std::uint64_t base = 0;      // 1..seq
    std::size_t first_frame = 0; // index of the first message frame; at least one
};
// [routing id] [""]? "PING"  -> "PONG" (any socket)

// --- Consumer socket (backend) ---------------------------------------------------------
// [routing id] [""]? "SUB name [position [window [origin]]]"
//   -> "REC offset timestamp-ns" frame...   in offset order, at most window unacknowledged
//   -> "REC offset timestamp-ns producer-id seq" frame...   the same, with "origin" given, for
//      a record stored with a producer id (a journal link republishes it under that id and
//      seq, so the far journal's dedupe drops replays); records without one keep two tokens
// [routing id] [""]? "ACK offset"          (cumulative: every record <= offset is done)
struct subscribe_t {
    std::string_view name;
    position_t position;
    std::uint32_t window = default_window; // 1..max_window
    bool origin = false;                   // opt-in: RECs carry the record's producer id and seq
};
struct consumer_ack_t {
    std::uint64_t offset = 0;
};

// --- Replay socket ----------------------------------------------------------------------
// [routing id] [""]? "READ position count"  -> "REC offset timestamp-ns" frame... (up to
// count of them) then "END next-offset"; position is not "stored".
struct read_t {
    position_t position;
    std::uint32_t count = 0; // 1..max_read_count
};

enum class kind_t : std::uint8_t { publish, subscribe, consumer_ack, read, ping };

struct decoded_t {
    error_t error = error_t::none;
    kind_t kind = kind_t::ping;
    bool leading_empty = false; // a REQ-style empty frame after the routing id: mirror it
    std::size_t header = 0;     // index of the header frame
    publish_t publish;
    subscribe_t subscribe;
    consumer_ack_t ack;
    read_t read;
    bool ok() const { return error == error_t::none; }
};

// Each socket accepts its own commands (and PING); frames[0] is the routing id. The views in
// the result point into the frames.
decoded_t decode_producer(const std::string_view* frames, std::size_t count);
decoded_t decode_consumer(const std::string_view* frames, std::size_t count);
decoded_t decode_reader(const std::string_view* frames, std::size_t count);

// True if name is a valid producer id or consumer name.
bool valid_name(std::string_view name);

// Strict decimal: 1..20 digits, no sign, no spaces, no overflow. Leading zeros allowed.
std::optional<std::uint64_t> parse_decimal(std::string_view text);

// Writes value as decimal into buffer (at least 20 bytes); returns the view of the digits.
std::string_view format_decimal(std::uint64_t value, char* buffer);

} // namespace zd::journal::protocol

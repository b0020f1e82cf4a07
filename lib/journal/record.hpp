// One journal record on disk: a fixed 40-byte little-endian header (magic, CRC32C, body
// length, frame count, offset, timestamp, producer sequence) and a body holding the producer
// id, the authenticated identity of whoever sent it (when there was one: a flag bit in the
// frame count field says so) and the message frames. The layout is documented in
// docs/JOURNAL.md ("On-disk format").
// Decoding never trusts a length before checking it against max_record_body, so a damaged
// or hostile file cannot make the reader allocate or read past its buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace zd::journal {

inline constexpr std::uint32_t record_magic = 0x314A445A; // bytes "ZDJ1" on disk
inline constexpr std::size_t record_header_size = 40;
// Hard upper bound of a body, whatever the configuration: a length field above it is
// damage, not a big record. The device's --max-record is at most this.
inline constexpr std::uint32_t max_record_body = 256u * 1024 * 1024;
inline constexpr std::size_t max_producer_id = 255;
// The longest user id and certificate name a record holds (one length byte each).
inline constexpr std::size_t max_identity_field = 255;
// Bit 31 of the frame count field: the body holds an identity block after the producer id.
// A record written before identities existed never has it (a frame count that high cannot
// fit in any body), and a reader that does not know the bit finds the frame count larger
// than the body can hold: "body does not parse", never a record read wrongly.
inline constexpr std::uint32_t record_flag_identity = 0x80000000u;
inline constexpr std::uint32_t max_record_frames = record_flag_identity - 1;

// Who sent a record, as the transport authenticated it: the ZAP User-Id (for CURVE the
// client's public key in Z85) and the certificate's `name` metadata. Both empty when the
// message came without authentication; a name without a user id is not stored.
struct record_identity_t {
    std::string_view user_id; // 0..255 bytes
    std::string_view name;    // 0..255 bytes
    bool empty() const { return user_id.empty(); }
};

// What a record says about itself, once decoded.
struct record_meta_t {
    std::uint64_t offset = 0;        // position in the journal, dense from 0
    std::int64_t timestamp_ns = 0;   // when it was appended, ns since the Unix epoch
    std::uint64_t producer_seq = 0;  // the producer's sequence number, 0 = none
    std::string_view producer_id;    // empty = anonymous (fire-and-forget or no id)
    record_identity_t identity = {}; // empty = not authenticated (or an older record)
};

// A decoded record: views into the buffer it was decoded from.
struct record_view_t {
    record_meta_t meta;
    std::vector<std::string_view> frames; // the message, frame boundaries kept
    std::size_t encoded_size = 0;         // header + body bytes
};

// A quarantine marker stands in for a record that recovery with repair could not save (its
// bytes were damaged): it keeps offsets dense, so the offset is never handed out again, and
// readers (log cursors, the tool) skip it. It has no frames, which no message has, and a
// producer id with a space, which no producer id has.
inline constexpr std::string_view quarantine_marker_id = "zd-journal quarantined";
inline bool is_quarantine_marker(const record_view_t& record) {
    return record.frames.empty() && record.meta.producer_id == quarantine_marker_id;
}

// Appends the encoding of one record to out. Throws std::length_error if the body would
// exceed max_body (the caller checks sizes first on the hot path), or the producer id, the
// user id or the name is longer than 255 bytes.
void encode_record(std::vector<char>& out, const record_meta_t& meta,
                   std::span<const std::string_view> frames,
                   std::uint32_t max_body = max_record_body);

// The encoded size of a record, without encoding it.
std::size_t encoded_record_size(std::string_view producer_id,
                                std::span<const std::string_view> frames,
                                record_identity_t identity = {});

enum class decode_status : std::uint8_t {
    ok,
    truncated,     // fewer bytes than the header or the header's length says: maybe a torn tail
    bad_magic,     // not a record start
    too_long,      // length above max_body: damage
    bad_checksum,  // CRC32C mismatch
    bad_structure, // CRC fine but the body does not parse (frame lengths disagree, ...)
};

const char* describe(decode_status status);

struct decode_result_t {
    decode_status status = decode_status::truncated;
    record_view_t record; // valid when status == ok
};

// Decodes the record at the start of bytes. Never throws, never reads past bytes.
decode_result_t decode_record(std::span<const char> bytes,
                              std::uint32_t max_body = max_record_body);

// The same into a record the caller keeps, reusing its frame vector's capacity (readers that
// decode record after record allocate nothing once warm). On failure record is unspecified.
decode_status decode_record_into(std::span<const char> bytes, record_view_t& record,
                                 std::uint32_t max_body = max_record_body);

} // namespace zd::journal

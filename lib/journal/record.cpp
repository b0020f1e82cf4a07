// Encoding and decoding of one journal record (layout: record.hpp, docs/JOURNAL.md). The
// decoder is the first thing to read bytes from disk, so it checks every length against what
// is really there and against max_body before it trusts it, and it never allocates more than
// the frame count the body can actually hold.
#include "journal/record.hpp"

#include "journal/crc32c.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <stdexcept>

namespace zd::journal {
namespace {

// Header field positions (little-endian on disk).
constexpr std::size_t at_magic = 0;
constexpr std::size_t at_crc = 4;
constexpr std::size_t at_body_length = 8;
constexpr std::size_t at_frame_count = 12;
constexpr std::size_t at_offset = 16;
constexpr std::size_t at_timestamp = 24;
constexpr std::size_t at_seq = 32;
constexpr std::size_t crc_from = 8; // the CRC covers everything after itself

template <typename T>
void store(char* to, T value) {
    if constexpr (std::endian::native == std::endian::big && sizeof(T) > 1) {
        if constexpr (sizeof(T) == 2) value = T(__builtin_bswap16(std::uint16_t(value)));
        if constexpr (sizeof(T) == 4) value = T(__builtin_bswap32(std::uint32_t(value)));
        if constexpr (sizeof(T) == 8) value = T(__builtin_bswap64(std::uint64_t(value)));
    }
    std::memcpy(to, &value, sizeof(T));
}

template <typename T>
T load(const char* from) {
    T value;
    std::memcpy(&value, from, sizeof(T));
    if constexpr (std::endian::native == std::endian::big && sizeof(T) > 1) {
        if constexpr (sizeof(T) == 2) value = T(__builtin_bswap16(std::uint16_t(value)));
        if constexpr (sizeof(T) == 4) value = T(__builtin_bswap32(std::uint32_t(value)));
        if constexpr (sizeof(T) == 8) value = T(__builtin_bswap64(std::uint64_t(value)));
    }
    return value;
}

// The identity block: user id length (1..255), user id, name length (0..255), name.
std::size_t identity_size(record_identity_t identity) {
    return identity.empty() ? 0 : 2 + identity.user_id.size() + identity.name.size();
}

std::size_t body_size(std::string_view producer_id, std::span<const std::string_view> frames,
                      record_identity_t identity) {
    std::size_t size = 1 + producer_id.size() + identity_size(identity);
    for (auto frame : frames)
        size += 4 + frame.size();
    return size;
}

} // namespace

std::size_t encoded_record_size(std::string_view producer_id,
                                std::span<const std::string_view> frames,
                                record_identity_t identity) {
    return record_header_size + body_size(producer_id, frames, identity);
}

void encode_record(std::vector<char>& out, const record_meta_t& meta,
                   std::span<const std::string_view> frames, std::uint32_t max_body) {
    if (meta.producer_id.size() > max_producer_id)
        throw std::length_error("journal record: producer id longer than 255 bytes");
    const record_identity_t identity = meta.identity;
    if (identity.user_id.size() > max_identity_field || identity.name.size() > max_identity_field)
        throw std::length_error("journal record: user id or name longer than 255 bytes");
    const std::size_t body = body_size(meta.producer_id, frames, identity);
    if (body > max_body || body > max_record_body || frames.size() > max_record_frames)
        throw std::length_error("journal record: body of " + std::to_string(body) +
                                " bytes is above the maximum of " + std::to_string(max_body));
    const std::size_t start = out.size();
    out.resize(start + record_header_size + body);
    char* record = out.data() + start;
    store<std::uint32_t>(record + at_magic, record_magic);
    store<std::uint32_t>(record + at_body_length, std::uint32_t(body));
    store<std::uint32_t>(record + at_frame_count,
                         std::uint32_t(frames.size()) |
                             (identity.empty() ? 0 : record_flag_identity));
    store<std::uint64_t>(record + at_offset, meta.offset);
    store<std::int64_t>(record + at_timestamp, meta.timestamp_ns);
    store<std::uint64_t>(record + at_seq, meta.producer_seq);
    char* at = record + record_header_size;
    *at++ = char(std::uint8_t(meta.producer_id.size()));
    if (!meta.producer_id.empty())
        std::memcpy(at, meta.producer_id.data(), meta.producer_id.size());
    at += meta.producer_id.size();
    if (!identity.empty()) {
        for (const std::string_view field : {identity.user_id, identity.name}) {
            *at++ = char(std::uint8_t(field.size()));
            if (!field.empty()) std::memcpy(at, field.data(), field.size());
            at += field.size();
        }
    }
    for (auto frame : frames) {
        store<std::uint32_t>(at, std::uint32_t(frame.size()));
        at += 4;
        if (!frame.empty()) std::memcpy(at, frame.data(), frame.size());
        at += frame.size();
    }
    store<std::uint32_t>(record + at_crc,
                         crc32c(0, record + crc_from, record_header_size - crc_from + body));
}

const char* describe(decode_status status) {
    switch (status) {
    case decode_status::ok:
        return "ok";
    case decode_status::truncated:
        return "truncated record";
    case decode_status::bad_magic:
        return "no record magic";
    case decode_status::too_long:
        return "record length above the maximum";
    case decode_status::bad_checksum:
        return "CRC32C mismatch";
    case decode_status::bad_structure:
        return "record body does not parse";
    }
    return "unknown";
}

decode_status decode_record_into(std::span<const char> bytes, record_view_t& record,
                                 std::uint32_t max_body) {
    record.frames.clear();
    if (bytes.empty()) return decode_status::truncated;
    // Report the most telling status: a wrong magic beats "truncated" once 4 bytes are there,
    // so a scan over garbage does not mistake it for a torn tail.
    char magic[4];
    store<std::uint32_t>(magic, record_magic);
    if (std::memcmp(bytes.data(), magic, std::min<std::size_t>(4, bytes.size())) != 0)
        return decode_status::bad_magic;
    if (bytes.size() < record_header_size) {
        return decode_status::truncated;
    }
    const char* header = bytes.data();
    const std::uint32_t body = load<std::uint32_t>(header + at_body_length);
    if (body > max_body || body > max_record_body || body < 1) {
        return body < 1 ? decode_status::bad_structure : decode_status::too_long;
    }
    if (bytes.size() - record_header_size < body) {
        return decode_status::truncated;
    }
    const std::uint32_t stored_crc = load<std::uint32_t>(header + at_crc);
    if (crc32c(0, header + crc_from, record_header_size - crc_from + body) != stored_crc) {
        return decode_status::bad_checksum;
    }
    // The CRC vouches for the bytes; the structure is still checked, since a buggy or hostile
    // writer can produce a correct CRC over nonsense.
    const char* at = header + record_header_size;
    const char* end = at + body;
    const std::size_t id_size = std::uint8_t(*at++);
    if (std::size_t(end - at) < id_size) {
        return decode_status::bad_structure;
    }
    const std::string_view producer_id(at, id_size);
    at += id_size;
    const std::uint32_t count_field = load<std::uint32_t>(header + at_frame_count);
    record_identity_t identity;
    if (count_field & record_flag_identity) {
        std::string_view* fields[] = {&identity.user_id, &identity.name};
        for (std::string_view* field : fields) {
            if (at == end) return decode_status::bad_structure;
            const std::size_t size = std::uint8_t(*at++);
            if (std::size_t(end - at) < size) return decode_status::bad_structure;
            *field = std::string_view(at, size);
            at += size;
        }
        if (identity.user_id.empty()) return decode_status::bad_structure; // the flag says one
    }
    const std::uint32_t frame_count = count_field & ~record_flag_identity;
    if (frame_count > std::size_t(end - at) / 4) { // each frame takes at least its length
        return decode_status::bad_structure;
    }
    record.frames.reserve(frame_count);
    for (std::uint32_t i = 0; i < frame_count; ++i) {
        if (end - at < 4) {
            return decode_status::bad_structure;
        }
        const std::uint32_t size = load<std::uint32_t>(at);
        at += 4;
        if (std::size_t(end - at) < size) {
            return decode_status::bad_structure;
        }
        record.frames.emplace_back(at, size);
        at += size;
    }
    if (at != end) {
        return decode_status::bad_structure;
    }
    record.meta.offset = load<std::uint64_t>(header + at_offset);
    record.meta.timestamp_ns = load<std::int64_t>(header + at_timestamp);
    record.meta.producer_seq = load<std::uint64_t>(header + at_seq);
    record.meta.producer_id = producer_id;
    record.meta.identity = identity;
    record.encoded_size = record_header_size + body;
    return decode_status::ok;
}

decode_result_t decode_record(std::span<const char> bytes, std::uint32_t max_body) {
    decode_result_t result;
    result.status = decode_record_into(bytes, result.record, max_body);
    if (result.status != decode_status::ok) result.record = {};
    return result;
}

} // namespace zd::journal

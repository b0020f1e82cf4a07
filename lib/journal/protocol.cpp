// The journal's wire protocols, decoded from frame views (frame tables: docs/JOURNAL.md,
// "Wire protocol"). Strict on purpose: a number is plain decimal digits or nothing, so a
// client bug shows up as ERR 400 at once instead of as a record at the wrong place.
#include "journal/protocol.hpp"

namespace zd::journal::protocol {

namespace {

decoded_t failure(error_t error, const decoded_t& so_far) {
    decoded_t decoded;
    decoded.error = error;
    decoded.leading_empty = so_far.leading_empty; // the ERR reply still needs the envelope
    decoded.command = so_far.command;
    return decoded;
}

// Skips the routing id and an optional REQ-style empty frame; sets decoded.command to the
// index of the command frame. False if there is no command frame.
bool find_command(const std::string_view* frames, std::size_t count, decoded_t& decoded) {
    std::size_t at = 1; // frames[0] is the routing id
    if (at < count && frames[at].empty()) {
        decoded.leading_empty = true;
        ++at;
    }
    decoded.command = at;
    return at < count;
}

bool valid_name(std::string_view name, bool empty_allowed) {
    if (name.empty()) return empty_allowed;
    return name.size() <= max_name;
}

// A position frame. Text that starts like a number ("7", "@7") but is not one is a bad
// number; anything else that is none of the forms is a bad position.
error_t parse_position(std::string_view text, bool stored_allowed, position_t& position) {
    using kind = position_t::kind;
    if (text.empty()) {
        if (!stored_allowed) return error_t::bad_position;
        position = {kind::stored, 0};
        return error_t::none;
    }
    if (text == "earliest") {
        position = {kind::earliest, 0};
        return error_t::none;
    }
    if (text == "latest") {
        position = {kind::latest, 0};
        return error_t::none;
    }
    if (text[0] == '@') {
        const auto value = parse_decimal(text.substr(1));
        if (!value) return error_t::bad_number;
        position = {kind::time, *value};
        return error_t::none;
    }
    if (text[0] >= '0' && text[0] <= '9') {
        const auto value = parse_decimal(text);
        if (!value) return error_t::bad_number;
        position = {kind::offset, *value};
        return error_t::none;
    }
    return error_t::bad_position;
}

// A window or READ count: decimal within 1..limit.
bool parse_bounded(std::string_view text, std::uint32_t limit, std::uint32_t& value) {
    const auto parsed = parse_decimal(text);
    if (!parsed || *parsed == 0 || *parsed > limit) return false;
    value = std::uint32_t(*parsed);
    return true;
}

// "PING" and nothing after it.
decoded_t decode_ping(std::size_t count, decoded_t decoded) {
    if (decoded.command + 1 != count) return failure(error_t::extra_frames, decoded);
    decoded.kind = kind_t::ping;
    return decoded;
}

} // namespace

// PUB producer-id seq base frame+   |   PING
decoded_t decode_producer(const std::string_view* frames, std::size_t count) {
    decoded_t decoded;
    if (!find_command(frames, count, decoded)) return failure(error_t::too_few_frames, decoded);
    const std::size_t at = decoded.command;
    const std::string_view command = frames[at];
    if (command == cmd_ping) return decode_ping(count, decoded);
    if (command != cmd_publish) return failure(error_t::unknown_command, decoded);
    if (at + 3 >= count) return failure(error_t::too_few_frames, decoded);
    if (!valid_name(frames[at + 1], true)) return failure(error_t::bad_name, decoded);
    const auto seq = parse_decimal(frames[at + 2]);
    if (!seq || *seq == 0) return failure(error_t::bad_number, decoded);
    // base: the oldest message the producer has not seen acknowledged, so at most seq.
    const auto base = parse_decimal(frames[at + 3]);
    if (!base || *base == 0 || *base > *seq) return failure(error_t::bad_number, decoded);
    if (at + 4 >= count) return failure(error_t::no_frames, decoded);
    decoded.kind = kind_t::publish;
    decoded.publish = {at + 1, *seq, at + 4, *base};
    return decoded;
}

// SUB name [position [window]]   |   ACK offset   |   PING
decoded_t decode_consumer(const std::string_view* frames, std::size_t count) {
    decoded_t decoded;
    if (!find_command(frames, count, decoded)) return failure(error_t::too_few_frames, decoded);
    const std::size_t at = decoded.command;
    const std::string_view command = frames[at];
    if (command == cmd_ping) return decode_ping(count, decoded);
    if (command == cmd_ack) {
        if (at + 1 >= count) return failure(error_t::too_few_frames, decoded);
        if (at + 2 != count) return failure(error_t::extra_frames, decoded);
        const auto offset = parse_decimal(frames[at + 1]);
        if (!offset) return failure(error_t::bad_number, decoded);
        decoded.kind = kind_t::consumer_ack;
        decoded.ack.offset = *offset;
        return decoded;
    }
    if (command != cmd_subscribe) return failure(error_t::unknown_command, decoded);
    if (at + 1 >= count) return failure(error_t::too_few_frames, decoded);
    if (at + 4 < count) return failure(error_t::extra_frames, decoded);
    subscribe_t subscribe;
    if (!valid_name(frames[at + 1], false)) return failure(error_t::bad_name, decoded);
    subscribe.name = at + 1;
    if (at + 2 < count) {
        const error_t error = parse_position(frames[at + 2], true, subscribe.position);
        if (error != error_t::none) return failure(error, decoded);
    }
    if (at + 3 < count && !parse_bounded(frames[at + 3], max_window, subscribe.window))
        return failure(error_t::bad_number, decoded);
    decoded.kind = kind_t::subscribe;
    decoded.subscribe = subscribe;
    return decoded;
}

// READ position count   |   PING
decoded_t decode_reader(const std::string_view* frames, std::size_t count) {
    decoded_t decoded;
    if (!find_command(frames, count, decoded)) return failure(error_t::too_few_frames, decoded);
    const std::size_t at = decoded.command;
    const std::string_view command = frames[at];
    if (command == cmd_ping) return decode_ping(count, decoded);
    if (command != cmd_read) return failure(error_t::unknown_command, decoded);
    if (at + 2 >= count) return failure(error_t::too_few_frames, decoded);
    if (at + 3 != count) return failure(error_t::extra_frames, decoded);
    read_t read;
    const error_t error = parse_position(frames[at + 1], false, read.position);
    if (error != error_t::none) return failure(error, decoded);
    if (!parse_bounded(frames[at + 2], max_read_count, read.count))
        return failure(error_t::bad_number, decoded);
    decoded.kind = kind_t::read;
    decoded.read = read;
    return decoded;
}

std::optional<std::uint64_t> parse_decimal(std::string_view text) {
    if (text.empty() || text.size() > 20) return std::nullopt;
    std::uint64_t value = 0;
    for (const char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
        const auto digit = std::uint64_t(c - '0');
        if (value > (UINT64_MAX - digit) / 10) return std::nullopt; // would overflow
        value = value * 10 + digit;
    }
    return value;
}

std::string_view format_decimal(std::uint64_t value, char* buffer) {
    // Digits come out least significant first: fill the 20 bytes from the end.
    char* end = buffer + 20;
    char* at = end;
    do {
        *--at = char('0' + value % 10);
        value /= 10;
    } while (value != 0);
    return {at, std::size_t(end - at)};
}

const char* describe(error_t error) {
    switch (error) {
    case error_t::none:
        return "valid";
    case error_t::too_few_frames:
        return "too few frames";
    case error_t::extra_frames:
        return "unexpected extra frames";
    case error_t::unknown_command:
        return "unknown command";
    case error_t::bad_name:
        return "bad name (producer ids are 0-255 bytes, consumer names 1-255)";
    case error_t::bad_number:
        return "bad number (plain decimal digits, within range)";
    case error_t::bad_position:
        return "bad position (\"\", earliest, latest, an offset or @milliseconds)";
    case error_t::no_frames:
        return "PUB without a message frame";
    }
    return "unknown error";
}

} // namespace zd::journal::protocol

// The journal's wire protocols, decoded from frame views (frame tables: docs/JOURNAL.md,
// "Wire protocol"). Strict on purpose: a header is tokens separated by single spaces and a
// number is plain decimal digits, so a client bug shows up as ERR 400 at once instead of as
// a record at the wrong place.
#include "journal/client/protocol.hpp"

namespace zd::journal::protocol {

namespace {

decoded_t failure(error_t error, const decoded_t& so_far) {
    decoded_t decoded;
    decoded.error = error;
    decoded.leading_empty = so_far.leading_empty; // the ERR reply still needs the envelope
    decoded.header = so_far.header;
    return decoded;
}

// Skips the routing id and an optional REQ-style empty frame; sets decoded.header to the
// index of the header frame. False if there is no header frame.
bool find_header(const std::string_view* frames, std::size_t count, decoded_t& decoded) {
    std::size_t at = 1; // frames[0] is the routing id
    if (at < count && frames[at].empty()) {
        decoded.leading_empty = true;
        ++at;
    }
    decoded.header = at;
    return at < count;
}

// A header split at single spaces. More tokens than any command takes make it bad.
struct tokens_t {
    static constexpr std::size_t max_tokens = 5; // SUB name position window origin
    std::string_view token[max_tokens];
    std::size_t count = 0;
    bool ok = true; // false: empty token, too many tokens, or too long
};

tokens_t split(std::string_view header) {
    tokens_t tokens;
    if (header.empty() || header.size() > max_header) {
        tokens.ok = false;
        return tokens;
    }
    std::size_t begin = 0;
    while (true) {
        const std::size_t space = header.find(' ', begin);
        const std::string_view token =
            header.substr(begin, space == std::string_view::npos ? space : space - begin);
        if (token.empty() || tokens.count == tokens_t::max_tokens) {
            tokens.ok = false;
            return tokens;
        }
        tokens.token[tokens.count++] = token;
        if (space == std::string_view::npos) return tokens;
        begin = space + 1;
    }
}

// A position token. Text that starts like a number ("7", "@7") but is not one is a bad
// number; anything else that is none of the forms is a bad position.
error_t parse_position(std::string_view text, bool stored_allowed, position_t& position) {
    using kind = position_t::kind;
    if (text == "stored") {
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

// Finds and splits the header frame. Returns error_t::none and the tokens, or the error.
error_t header_tokens(const std::string_view* frames, std::size_t count, decoded_t& decoded,
                      tokens_t& tokens) {
    if (!find_header(frames, count, decoded)) return error_t::too_few_frames;
    tokens = split(frames[decoded.header]);
    if (!tokens.ok) return error_t::bad_header;
    return error_t::none;
}

// "PING" alone, in one frame.
decoded_t decode_ping(const tokens_t& tokens, std::size_t count, decoded_t decoded) {
    if (tokens.count != 1) return failure(error_t::bad_header, decoded);
    if (decoded.header + 1 != count) return failure(error_t::extra_frames, decoded);
    decoded.kind = kind_t::ping;
    return decoded;
}

} // namespace

bool valid_name(std::string_view name) {
    if (name.empty() || name.size() > max_name) return false;
    for (const char c : name)
        if (c < '!' || c > '~') return false;
    return true;
}

// "PUB producer-id seq base" frame+   |   "PING"
decoded_t decode_producer(const std::string_view* frames, std::size_t count) {
    decoded_t decoded;
    tokens_t tokens;
    if (const auto error = header_tokens(frames, count, decoded, tokens); error != error_t::none)
        return failure(error, decoded);
    if (tokens.token[0] == cmd_ping) return decode_ping(tokens, count, decoded);
    if (tokens.token[0] != cmd_publish) return failure(error_t::unknown_command, decoded);
    if (tokens.count != 4) return failure(error_t::bad_header, decoded);
    if (!valid_name(tokens.token[1])) return failure(error_t::bad_name, decoded);
    const auto seq = parse_decimal(tokens.token[2]);
    if (!seq || *seq == 0) return failure(error_t::bad_number, decoded);
    // base: the oldest message the producer has not seen acknowledged, so at most seq.
    const auto base = parse_decimal(tokens.token[3]);
    if (!base || *base == 0 || *base > *seq) return failure(error_t::bad_number, decoded);
    if (decoded.header + 1 >= count) return failure(error_t::no_frames, decoded);
    decoded.kind = kind_t::publish;
    decoded.publish = {tokens.token[1], *seq, *base, decoded.header + 1};
    return decoded;
}

// "SUB name [position [window [origin]]]"   |   "ACK offset"   |   "PING"
decoded_t decode_consumer(const std::string_view* frames, std::size_t count) {
    decoded_t decoded;
    tokens_t tokens;
    if (const auto error = header_tokens(frames, count, decoded, tokens); error != error_t::none)
        return failure(error, decoded);
    const std::string_view command = tokens.token[0];
    if (command == cmd_ping) return decode_ping(tokens, count, decoded);
    if (command != cmd_ack && command != cmd_subscribe)
        return failure(error_t::unknown_command, decoded);
    if (decoded.header + 1 != count) return failure(error_t::extra_frames, decoded);
    if (command == cmd_ack) {
        if (tokens.count != 2) return failure(error_t::bad_header, decoded);
        const auto offset = parse_decimal(tokens.token[1]);
        if (!offset) return failure(error_t::bad_number, decoded);
        decoded.kind = kind_t::consumer_ack;
        decoded.ack.offset = *offset;
        return decoded;
    }
    if (tokens.count < 2) return failure(error_t::bad_header, decoded);
    subscribe_t subscribe;
    if (!valid_name(tokens.token[1])) return failure(error_t::bad_name, decoded);
    subscribe.name = tokens.token[1];
    if (tokens.count > 2) {
        const error_t error = parse_position(tokens.token[2], true, subscribe.position);
        if (error != error_t::none) return failure(error, decoded);
    }
    if (tokens.count > 3 && !parse_bounded(tokens.token[3], max_window, subscribe.window))
        return failure(error_t::bad_number, decoded);
    if (tokens.count > 4) {
        if (tokens.token[4] != sub_origin) return failure(error_t::bad_header, decoded);
        subscribe.origin = true;
    }
    decoded.kind = kind_t::subscribe;
    decoded.subscribe = subscribe;
    return decoded;
}

// "READ position count"   |   "PING"
decoded_t decode_reader(const std::string_view* frames, std::size_t count) {
    decoded_t decoded;
    tokens_t tokens;
    if (const auto error = header_tokens(frames, count, decoded, tokens); error != error_t::none)
        return failure(error, decoded);
    if (tokens.token[0] == cmd_ping) return decode_ping(tokens, count, decoded);
    if (tokens.token[0] != cmd_read) return failure(error_t::unknown_command, decoded);
    if (decoded.header + 1 != count) return failure(error_t::extra_frames, decoded);
    if (tokens.count != 3) return failure(error_t::bad_header, decoded);
    read_t read;
    const error_t error = parse_position(tokens.token[1], false, read.position);
    if (error != error_t::none) return failure(error, decoded);
    if (!parse_bounded(tokens.token[2], max_read_count, read.count))
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
        return "no header frame";
    case error_t::extra_frames:
        return "unexpected extra frames";
    case error_t::unknown_command:
        return "unknown command";
    case error_t::bad_header:
        return "bad header (one line of tokens separated by single spaces: see the protocol)";
    case error_t::bad_name:
        return "bad name (1-255 printable ASCII characters, no spaces)";
    case error_t::bad_number:
        return "bad number (plain decimal digits, within range)";
    case error_t::bad_position:
        return "bad position (stored, earliest, latest, an offset or @milliseconds)";
    case error_t::no_frames:
        return "PUB without a message frame";
    }
    return "unknown error";
}

} // namespace zd::journal::protocol

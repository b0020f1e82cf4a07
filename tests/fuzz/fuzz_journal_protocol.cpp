// Fuzz target: the journal's wire protocol decoders (lib/journal/client/protocol.hpp), which see
// every message producers, consumers and replay readers send to zd-journal (a header line of
// tokens, then for PUB the message frames), and the decimal parser under them. The input is split
// into frames like fuzz_mdp_codec: first byte the frame count (0-79), then per frame a length byte
// and that many bytes. A length byte of 255 adds the next one, and so on while it is 255
// (255 255 3 is 513), so headers past the 512-byte limit are reachable. Every decoder must stay
// inside the frames it is given, and what it calls valid must hold up against the frame tables.
#include "journal/client/protocol.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace zd::journal::protocol;

void require(bool condition) {
    if (!condition) std::abort();
}

bool all_digits(std::string_view text) {
    if (text.empty() || text.size() > 20) return false;
    for (char c : text)
        if (c < '0' || c > '9') return false;
    return true;
}

// parse_decimal agrees with a slow reference, and format_decimal round-trips what it took.
void check_decimal(std::string_view text) {
    const auto value = parse_decimal(text);
    if (!all_digits(text)) {
        require(!value);
        return;
    }
    // Reference: strip leading zeros, compare against 2^64-1 as text.
    std::string_view digits = text;
    while (digits.size() > 1 && digits[0] == '0')
        digits.remove_prefix(1);
    const std::string_view max = "18446744073709551615";
    const bool fits = digits.size() < max.size() || (digits.size() == max.size() && digits <= max);
    require(value.has_value() == fits);
    if (value) {
        char buffer[24];
        require(format_decimal(*value, buffer) == digits);
    }
}

// Frame 0 is the routing id; an empty frame 1 is the optional delimiter; then the header.
void check_envelope(const std::vector<std::string_view>& frames, const decoded_t& decoded) {
    require(decoded.header == (decoded.leading_empty ? 2u : 1u));
    require(!decoded.leading_empty || frames[1].empty());
    require(decoded.header < frames.size());
    require(!frames[decoded.header].empty() && frames[decoded.header].size() <= max_header);
}

// The header's tokens, split at single spaces (the decoders must have refused anything else).
std::vector<std::string_view> tokens_of(std::string_view header) {
    std::vector<std::string_view> tokens;
    while (true) {
        const auto space = header.find(' ');
        tokens.push_back(header.substr(0, space));
        require(!tokens.back().empty());
        if (space == std::string_view::npos) return tokens;
        header.remove_prefix(space + 1);
    }
}

void check_position(std::string_view text, const position_t& position) {
    using kind = position_t::kind;
    switch (position.from) {
    case kind::stored:
        require(text.empty() || text == "stored");
        break;
    case kind::earliest:
        require(text == "earliest");
        break;
    case kind::latest:
        require(text == "latest");
        break;
    case kind::offset:
        require(parse_decimal(text) == position.value);
        break;
    case kind::time:
        require(!text.empty() && text[0] == '@' && parse_decimal(text.substr(1)) == position.value);
        break;
    }
}

void check_ping(const std::vector<std::string_view>& frames, const decoded_t& decoded) {
    require(frames[decoded.header] == cmd_ping && decoded.header + 1 == frames.size());
}

void check_producer(const std::vector<std::string_view>& frames) {
    const decoded_t decoded = decode_producer(frames.data(), frames.size());
    require(describe(decoded.error) != nullptr);
    if (!decoded.ok()) return;
    check_envelope(frames, decoded);
    if (decoded.kind == kind_t::ping) return check_ping(frames, decoded);
    require(decoded.kind == kind_t::publish);
    const auto tokens = tokens_of(frames[decoded.header]);
    require(tokens.size() == 4 && tokens[0] == cmd_publish);
    const publish_t& publish = decoded.publish;
    require(valid_name(publish.producer) && publish.producer == tokens[1]);
    require(publish.seq >= 1 && parse_decimal(tokens[2]) == publish.seq);
    require(publish.base >= 1 && publish.base <= publish.seq);
    require(parse_decimal(tokens[3]) == publish.base);
    require(publish.first_frame == decoded.header + 1);
    require(publish.first_frame < frames.size()); // at least one message frame
}

void check_consumer(const std::vector<std::string_view>& frames) {
    const decoded_t decoded = decode_consumer(frames.data(), frames.size());
    require(describe(decoded.error) != nullptr);
    if (!decoded.ok()) return;
    check_envelope(frames, decoded);
    if (decoded.kind == kind_t::ping) return check_ping(frames, decoded);
    require(decoded.header + 1 == frames.size()); // nothing after the header
    const auto tokens = tokens_of(frames[decoded.header]);
    switch (decoded.kind) {
    case kind_t::consumer_ack:
        require(tokens.size() == 2 && tokens[0] == cmd_ack);
        require(parse_decimal(tokens[1]) == decoded.ack.offset);
        break;
    case kind_t::subscribe: {
        require(tokens.size() >= 2 && tokens.size() <= 5 && tokens[0] == cmd_subscribe);
        const subscribe_t& subscribe = decoded.subscribe;
        require(valid_name(subscribe.name) && subscribe.name == tokens[1]);
        check_position(tokens.size() > 2 ? tokens[2] : std::string_view(), subscribe.position);
        require(subscribe.window >= 1 && subscribe.window <= max_window);
        if (tokens.size() > 3)
            require(parse_decimal(tokens[3]) == subscribe.window);
        else
            require(subscribe.window == default_window);
        // The fifth token is the opt-in "origin" and nothing else.
        require(subscribe.origin == (tokens.size() == 5));
        if (tokens.size() == 5) require(tokens[4] == sub_origin);
        break;
    }
    default:
        require(false); // not a consumer command
    }
}

void check_reader(const std::vector<std::string_view>& frames) {
    const decoded_t decoded = decode_reader(frames.data(), frames.size());
    require(describe(decoded.error) != nullptr);
    if (!decoded.ok()) return;
    check_envelope(frames, decoded);
    if (decoded.kind == kind_t::ping) return check_ping(frames, decoded);
    require(decoded.kind == kind_t::read && decoded.header + 1 == frames.size());
    const auto tokens = tokens_of(frames[decoded.header]);
    require(tokens.size() == 3 && tokens[0] == cmd_read);
    require(decoded.read.position.from != position_t::kind::stored);
    check_position(tokens[1], decoded.read.position);
    require(decoded.read.count >= 1 && decoded.read.count <= max_read_count);
    require(parse_decimal(tokens[2]) == decoded.read.count);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::size_t count = data[0] % 80;
    std::vector<std::string_view> frames;
    std::size_t at = 1;
    for (std::size_t i = 0; i < count && at < size; ++i) {
        std::size_t declared = data[at++];
        for (std::uint8_t more = std::uint8_t(declared); more == 255 && at < size;) {
            more = data[at++];
            declared += more;
        }
        const std::size_t length = std::min<std::size_t>(declared, size - at);
        frames.emplace_back(reinterpret_cast<const char*>(data + at), length);
        at += length;
    }

    // Exact-size copies, so that a read one byte past a frame is caught by ASan.
    std::vector<std::vector<char>> storage;
    std::vector<std::string_view> exact;
    storage.reserve(frames.size());
    for (auto frame : frames) {
        storage.emplace_back(frame.begin(), frame.end());
        exact.emplace_back(storage.back().data(), storage.back().size());
    }

    for (auto frame : exact)
        check_decimal(frame);
    check_producer(exact);
    check_consumer(exact);
    check_reader(exact);
    if (exact.empty()) {
        require(decode_producer(exact.data(), 0).error ==
                zd::journal::protocol::error_t::too_few_frames);
        require(decode_consumer(exact.data(), 0).error ==
                zd::journal::protocol::error_t::too_few_frames);
        require(decode_reader(exact.data(), 0).error ==
                zd::journal::protocol::error_t::too_few_frames);
    }
    return 0;
}

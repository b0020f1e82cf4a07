// Recursive-descent JSON reader (see json_reader.hpp). Small enough to trust by reading.
#include "json_reader.hpp"

#include <charconv>

namespace zd::test {

bool json_value_t::has(std::string_view key) const {
    for (const auto& [name, value] : members)
        if (name == key) return true;
    return false;
}

const json_value_t& json_value_t::operator[](std::string_view key) const {
    if (type == kind::object)
        for (const auto& [name, value] : members)
            if (name == key) return value;
    throw std::out_of_range("no JSON member '" + std::string(key) + "'");
}

std::uint64_t json_value_t::as_uint64() const {
    std::uint64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (type != kind::number || error != std::errc{} || end != text.data() + text.size())
        throw std::runtime_error("not an unsigned integer: '" + text + "'");
    return value;
}

std::vector<std::string> json_value_t::keys() const {
    std::vector<std::string> names;
    for (const auto& member : members)
        names.push_back(member.first);
    return names;
}

namespace {

// Deep enough for anything our writers emit (zd-recv's msgpack -> JSON nests up to 257
// levels), shallow enough that recursion stays far from the stack's end.
constexpr int max_depth = 512;

class parser_t {
public:
    explicit parser_t(std::string_view text) : text_(text) {}

    json_value_t document() {
        json_value_t value = parse_value(0);
        skip_space();
        if (at_ != text_.size()) fail("trailing characters after the document");
        return value;
    }

private:
    [[noreturn]] void fail(const std::string& why) const {
        throw std::runtime_error("invalid JSON at offset " + std::to_string(at_) + ": " + why);
    }

    void skip_space() {
        while (at_ < text_.size() && (text_[at_] == ' ' || text_[at_] == '\t' ||
                                      text_[at_] == '\n' || text_[at_] == '\r'))
            ++at_;
    }

    char peek() {
        if (at_ >= text_.size()) fail("unexpected end");
        return text_[at_];
    }

    void expect(std::string_view word) {
        if (text_.substr(at_, word.size()) != word) fail("expected '" + std::string(word) + "'");
        at_ += word.size();
    }

    json_value_t parse_value(int depth) {
        if (depth > max_depth) fail("nested too deeply");
        skip_space();
        json_value_t value;
        const char c = peek();
        if (c == '{') {
            value.type = json_value_t::kind::object;
            ++at_;
            skip_space();
            if (peek() == '}') {
                ++at_;
                return value;
            }
            while (true) {
                skip_space();
                if (peek() != '"') fail("expected a member name");
                std::string name = parse_string();
                skip_space();
                expect(":");
                value.members.push_back({std::move(name), parse_value(depth + 1)});
                skip_space();
                if (peek() == ',') {
                    ++at_;
                    continue;
                }
                expect("}");
                return value;
            }
        }
        if (c == '[') {
            value.type = json_value_t::kind::array;
            ++at_;
            skip_space();
            if (peek() == ']') {
                ++at_;
                return value;
            }
            while (true) {
                value.items.push_back(parse_value(depth + 1));
                skip_space();
                if (peek() == ',') {
                    ++at_;
                    continue;
                }
                expect("]");
                return value;
            }
        }
        if (c == '"') {
            value.type = json_value_t::kind::string;
            value.text = parse_string();
            return value;
        }
        if (c == 't' || c == 'f') {
            value.type = json_value_t::kind::boolean;
            value.boolean = c == 't';
            expect(c == 't' ? "true" : "false");
            return value;
        }
        if (c == 'n') {
            expect("null");
            return value;
        }
        value.type = json_value_t::kind::number;
        value.text = parse_number();
        return value;
    }

    std::string parse_number() {
        const std::size_t start = at_;
        auto digits = [this] {
            const std::size_t from = at_;
            while (at_ < text_.size() && text_[at_] >= '0' && text_[at_] <= '9')
                ++at_;
            return at_ - from;
        };
        if (at_ < text_.size() && text_[at_] == '-') ++at_;
        if (at_ < text_.size() && text_[at_] == '0')
            ++at_;
        else if (digits() == 0)
            fail("expected a value");
        if (at_ < text_.size() && text_[at_] == '.') {
            ++at_;
            if (digits() == 0) fail("expected digits after '.'");
        }
        if (at_ < text_.size() && (text_[at_] == 'e' || text_[at_] == 'E')) {
            ++at_;
            if (at_ < text_.size() && (text_[at_] == '+' || text_[at_] == '-')) ++at_;
            if (digits() == 0) fail("expected exponent digits");
        }
        return std::string(text_.substr(start, at_ - start));
    }

    unsigned parse_hex4() {
        if (at_ + 4 > text_.size()) fail("short \\u escape");
        unsigned value = 0;
        const auto [end, error] =
            std::from_chars(text_.data() + at_, text_.data() + at_ + 4, value, 16);
        if (error != std::errc{} || end != text_.data() + at_ + 4) fail("bad \\u escape");
        at_ += 4;
        return value;
    }

    static void append_utf8(std::string& out, unsigned code) {
        if (code < 0x80) {
            out += char(code);
        } else if (code < 0x800) {
            out += char(0xC0 | (code >> 6));
            out += char(0x80 | (code & 0x3F));
        } else if (code < 0x10000) {
            out += char(0xE0 | (code >> 12));
            out += char(0x80 | ((code >> 6) & 0x3F));
            out += char(0x80 | (code & 0x3F));
        } else {
            out += char(0xF0 | (code >> 18));
            out += char(0x80 | ((code >> 12) & 0x3F));
            out += char(0x80 | ((code >> 6) & 0x3F));
            out += char(0x80 | (code & 0x3F));
        }
    }

    // Checks one UTF-8 sequence strictly (no overlong forms, no surrogates, at most U+10FFFF)
    // and copies it to out.
    void copy_utf8(std::string& out) {
        const auto byte = static_cast<unsigned char>(text_[at_]);
        std::size_t length = 0;
        unsigned code = 0;
        if (byte >= 0xC2 && byte <= 0xDF) {
            length = 2;
            code = byte & 0x1F;
        } else if (byte >= 0xE0 && byte <= 0xEF) {
            length = 3;
            code = byte & 0x0F;
        } else if (byte >= 0xF0 && byte <= 0xF4) {
            length = 4;
            code = byte & 0x07;
        } else {
            fail("invalid UTF-8 lead byte");
        }
        if (at_ + length > text_.size()) fail("truncated UTF-8 sequence");
        for (std::size_t k = 1; k < length; ++k) {
            const auto next = static_cast<unsigned char>(text_[at_ + k]);
            if ((next & 0xC0) != 0x80) fail("invalid UTF-8 continuation byte");
            code = (code << 6) | (next & 0x3F);
        }
        if ((length == 3 && code < 0x800) || (length == 4 && code < 0x10000))
            fail("overlong UTF-8 sequence");
        if (code >= 0xD800 && code <= 0xDFFF) fail("UTF-8 encoded surrogate");
        if (code > 0x10FFFF) fail("code point above U+10FFFF");
        out.append(text_.substr(at_, length));
        at_ += length;
    }

    std::string parse_string() {
        expect("\"");
        std::string out;
        while (true) {
            const char c = peek();
            const auto byte = static_cast<unsigned char>(c);
            if (c == '"') {
                ++at_;
                return out;
            }
            if (byte < 0x20) fail("raw control character in a string");
            if (byte >= 0x80) {
                copy_utf8(out);
                continue;
            }
            ++at_;
            if (c != '\\') {
                out += c;
                continue;
            }
            const char escape = peek();
            ++at_;
            switch (escape) {
            case '"':
                out += '"';
                break;
            case '\\':
                out += '\\';
                break;
            case '/':
                out += '/';
                break;
            case 'b':
                out += '\b';
                break;
            case 'f':
                out += '\f';
                break;
            case 'n':
                out += '\n';
                break;
            case 'r':
                out += '\r';
                break;
            case 't':
                out += '\t';
                break;
            case 'u': {
                unsigned code = parse_hex4();
                if (code >= 0xD800 && code <= 0xDBFF) {
                    expect("\\u");
                    const unsigned low = parse_hex4();
                    if (low < 0xDC00 || low > 0xDFFF) fail("unpaired surrogate escape");
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
                } else if (code >= 0xDC00 && code <= 0xDFFF) {
                    fail("unpaired surrogate escape");
                }
                append_utf8(out, code);
                break;
            }
            default:
                fail(std::string("unknown escape '\\") + escape + "'");
            }
        }
    }

    std::string_view text_;
    std::size_t at_ = 0;
};

} // namespace

json_value_t parse_json(std::string_view text) {
    return parser_t(text).document();
}

} // namespace zd::test

// A small, strict JSON reader (RFC 8259) for checking what devices and tools write: STATS
// replies, --json output. Strict on purpose: it rejects raw control characters in strings,
// invalid UTF-8 and trailing garbage, so "it parses" means any consumer could read it.
// Numbers keep their text, so large counters compare exactly.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace zd::test {

struct json_member_t;

struct json_value_t {
    enum class kind { null, boolean, number, string, array, object };
    kind type = kind::null;
    bool boolean = false;
    std::string text; // the decoded string, or a number's literal text
    std::vector<json_value_t> items;
    std::vector<json_member_t> members; // in document order

    bool has(std::string_view key) const;
    // The member named key. Throws std::out_of_range if this is not an object or lacks it.
    const json_value_t& operator[](std::string_view key) const;
    // The number as an unsigned integer. Throws std::runtime_error if it is not one.
    std::uint64_t as_uint64() const;
    // The member names, in document order.
    std::vector<std::string> keys() const;
};

// A member of an object; a struct of its own (not std::pair) because json_value_t is not yet
// complete inside its own definition, which clang's std::pair refuses.
struct json_member_t {
    std::string first; // the name
    json_value_t second;
};

// Parses one JSON document. Throws std::runtime_error saying where and what is wrong.
json_value_t parse_json(std::string_view text);

} // namespace zd::test

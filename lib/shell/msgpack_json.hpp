// msgpack -> JSON for zd-recv --format msgpack: one frame holds one msgpack value.
//
// Mapping: nil -> null, bool, integers and floats as JSON numbers (NaN and infinities as the
// strings "NaN", "Infinity", "-Infinity"), str -> string (bytes that are not UTF-8 as
// \u00XX), bin -> {"$bin":"<hex>"}, ext -> {"$ext":<type>,"hex":"<hex>"}, array -> array,
// map -> object (keys that are not strings become their JSON text, e.g. 1 -> "1").
// A frame that is not exactly one msgpack value (truncated, malformed, extra bytes, nested
// deeper than 256 levels), or whose JSON would pass 16 bytes per frame byte (only map keys
// nested in map keys get there: each level escapes the quotes and backslashes of the one
// inside again, so the text doubles per level), becomes {"$invalid_msgpack":"<why>",
// "size":<bytes>,"hex":"<first 64 bytes>"}: the output stays valid JSON, bounded, and the
// tool never crashes on bad input.
#pragma once

#include <string>
#include <string_view>

namespace zd::shell {

// Appends the JSON for the msgpack value in frame (or the $invalid_msgpack object) to out.
// Returns true if the frame decoded. Never throws except std::bad_alloc.
bool append_msgpack_as_json(std::string& out, std::string_view frame);

} // namespace zd::shell

// A minimal streaming JSON writer for the STATS reply and the tools' JSON output.
// We only ever write JSON (never parse it), so a few dozen lines beat a dependency.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace zd {

class json_writer_t {
public:
    json_writer_t& begin_object();
    json_writer_t& end_object();
    json_writer_t& begin_array();
    json_writer_t& end_array();
    json_writer_t& key(std::string_view name);
    json_writer_t& value(std::string_view text);
    json_writer_t& value(const char* text) { return value(std::string_view(text)); }
    json_writer_t& value(std::uint64_t number);
    json_writer_t& value(std::int64_t number);
    json_writer_t& value(int number) { return value(std::int64_t(number)); }
    json_writer_t& value(double number);
    json_writer_t& value(bool flag);
    json_writer_t& null();
    // Writes already-serialised JSON (an object from another writer) as the next value.
    json_writer_t& raw(std::string_view json);

    const std::string& str() const { return out_; }

private:
    void separate();
    std::string out_;
    bool need_comma_ = false; // a value was written at this nesting level
};

// Appends text to out as a JSON string literal (with quotes), escaping what must be.
// Bytes that are not valid UTF-8 are written as \u00XX so the output is always valid JSON.
void append_json_string(std::string& out, std::string_view text);

} // namespace zd

#include "base/json_writer.hpp"

#include "base/text.hpp"

namespace zd {

void append_json_string(std::string& out, std::string_view text) {
    out += '"';
    append_escaped_text(out, text, escape_style::json);
    out += '"';
}

void json_writer_t::separate() {
    if (need_comma_) out_ += ',';
    need_comma_ = true;
}

json_writer_t& json_writer_t::begin_object() {
    separate();
    out_ += '{';
    need_comma_ = false;
    return *this;
}

json_writer_t& json_writer_t::end_object() {
    out_ += '}';
    need_comma_ = true;
    return *this;
}

json_writer_t& json_writer_t::begin_array() {
    separate();
    out_ += '[';
    need_comma_ = false;
    return *this;
}

json_writer_t& json_writer_t::end_array() {
    out_ += ']';
    need_comma_ = true;
    return *this;
}

json_writer_t& json_writer_t::key(std::string_view name) {
    separate();
    append_json_string(out_, name);
    out_ += ':';
    need_comma_ = false; // the value that follows needs no comma
    return *this;
}

json_writer_t& json_writer_t::value(std::string_view text) {
    separate();
    append_json_string(out_, text);
    return *this;
}

json_writer_t& json_writer_t::value(std::uint64_t number) {
    separate();
    out_ += std::to_string(number);
    return *this;
}

json_writer_t& json_writer_t::value(std::int64_t number) {
    separate();
    out_ += std::to_string(number);
    return *this;
}

json_writer_t& json_writer_t::value(double number) {
    separate();
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.6g", number);
    out_ += buffer;
    return *this;
}

json_writer_t& json_writer_t::value(bool flag) {
    separate();
    out_ += flag ? "true" : "false";
    return *this;
}

json_writer_t& json_writer_t::raw(std::string_view json) {
    separate();
    out_ += json;
    return *this;
}

json_writer_t& json_writer_t::null() {
    separate();
    out_ += "null";
    return *this;
}

} // namespace zd

#include "shell/reply_verdict.hpp"

#include <algorithm>

namespace zd::shell {

namespace {

bool is_error_frame(std::string_view frame) {
    return frame == "ERROR" || frame.starts_with("ERROR ");
}

// The services whose first reply frame is a status code, 200 meaning success.
bool answers_with_status(std::string_view service) {
    return service.starts_with("mmi.") || service.starts_with("titanic.");
}

// "200", "404", ...: three digits. mmi.services and mmi.stats answer with JSON instead.
bool is_status_code(std::string_view frame) {
    return frame.size() == 3 &&
           std::all_of(frame.begin(), frame.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A frame quoted in a log line: bounded, since a reply may be large.
std::string quoted(std::string_view frame) {
    constexpr std::size_t most = 200;
    std::string text(1, '\'');
    text.append(frame.substr(0, most));
    if (frame.size() > most) text.append("...");
    text.push_back('\'');
    return text;
}

} // namespace

reply_verdict_t judge_reply(std::string_view service, const std::vector<std::string>& reply) {
    const std::string_view first = reply.empty() ? std::string_view() : reply.front();
    if (is_error_frame(first)) return {true, "the service answered " + quoted(first)};
    if (answers_with_status(service) && is_status_code(first) && first != "200")
        return {true, quoted(service) + " answered status " + quoted(first)};
    return {};
}

} // namespace zd::shell

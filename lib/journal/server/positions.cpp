#include "journal/server/positions.hpp"

#include <algorithm>

namespace zd::journal::server {

namespace proto = protocol;

namespace {
resolved_t at(std::uint64_t offset) {
    resolved_t result;
    result.ok = true;
    result.offset = offset;
    return result;
}
resolved_t refused(std::string_view code, std::string text) {
    resolved_t result;
    result.error_code = code;
    result.error_text = std::move(text);
    return result;
}
} // namespace

resolved_t resolve_position(const log_t& log, const proto::position_t& position,
                            const std::uint64_t* stored) {
    using kind = proto::position_t::kind;
    switch (position.from) {
    case kind::stored:
        return at(std::clamp(stored ? *stored : 0, log.first_offset(), log.durable_next()));
    case kind::earliest:
        return at(log.first_offset());
    case kind::latest:
        return at(log.durable_next());
    case kind::time:
        return at(log.offset_for_time(std::int64_t(position.value) * 1000000));
    case kind::offset:
        break;
    }
    char a[24], b[24];
    if (position.value < log.first_offset())
        return refused(proto::status_not_retained,
                       "offset " + std::string(proto::format_decimal(position.value, a)) +
                           " is no longer retained (earliest is " +
                           std::string(proto::format_decimal(log.first_offset(), b)) + ")");
    if (position.value > log.durable_next())
        return refused(proto::status_bad_request,
                       "offset " + std::string(proto::format_decimal(position.value, a)) +
                           " is past the end (next is " +
                           std::string(proto::format_decimal(log.durable_next(), b)) + ")");
    return at(position.value);
}

} // namespace zd::journal::server

#include "base/device_options.hpp"

#include "base/log.hpp"

namespace zd {

curve_flags_t security_options_t::for_side(std::string_view side) const {
    curve_flags_t flags = curve;
    const auto own = sides.find(side);
    if (own == sides.end()) return flags;
    const curve_flags_t& given = own->second;
    if (!given.certificate.empty()) flags.certificate = given.certificate;
    if (!given.allow.empty()) {
        flags.allow = given.allow;
        flags.allow_any = false;
    }
    if (given.allow_any) {
        flags.allow_any = true;
        flags.allow.clear();
    }
    if (!given.server_key.empty()) flags.server_key = given.server_key;
    return flags;
}

void configure_log(std::string_view program, const common_options_t& options) {
    const log::level level = options.quiet         ? log::level::error
                             : options.verbose > 0 ? log::level::debug
                                                   : log::level::info;
    const log::time_stamps stamps = options.no_log_time ? log::time_stamps::never
                                    : options.log_time  ? log::time_stamps::always
                                                        : log::time_stamps::unless_terminal;
    log::configure(program, level, stamps);
}

} // namespace zd

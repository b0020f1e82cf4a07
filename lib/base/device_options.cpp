#include "base/device_options.hpp"

#include "base/log.hpp"

namespace zd {

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

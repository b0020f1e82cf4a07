#include "base/device_options.hpp"

#include "base/log.hpp"

namespace zd {

void configure_log(std::string_view program, const common_options_t& options) {
    const log::level level = options.quiet         ? log::level::error
                             : options.verbose > 0 ? log::level::debug
                                                   : log::level::info;
    log::configure(program, level);
}

} // namespace zd

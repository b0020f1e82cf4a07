// The --fsync option of every device that keeps a journal log (zd-journal, zd-titanic):
// always | batch | interval=MS | never. One parser, so both devices accept and refuse the
// same words with the same message.
#pragma once

#include "journal/log.hpp"

#include <CLI/CLI.hpp>
#include <string_view>

namespace zd::journal {

// Sets log.policy (and log.sync_interval for interval=MS, 1..3600000). Throws
// std::invalid_argument naming the bad value and the accepted forms.
void apply_fsync_option(std::string_view text, log_options_t& log);

// A CLI11 validator built on apply_fsync_option, so a bad value is a usage error (exit 2)
// found while the command line is parsed.
CLI::Validator fsync_option_validator();

} // namespace zd::journal

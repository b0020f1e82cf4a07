// The options of every device that keeps a journal log (zd-journal, zd-titanic): --fsync
// (always | batch | interval=MS | never), --segment-bytes, --max-record and --repair. One
// declaration, so both devices accept and refuse the same values with the same message; each
// device says in its own words what the sizes mean for what it stores.
#pragma once

#include "journal/log.hpp"

#include <CLI/CLI.hpp>
#include <string>
#include <string_view>

namespace zd::journal {

// Sets log.policy (and log.sync_interval for interval=MS, 1..3600000). Throws
// std::invalid_argument naming the bad value and the accepted forms.
void apply_fsync_option(std::string_view text, log_options_t& log);

// A CLI11 validator built on apply_fsync_option, so a bad value is a usage error (exit 2)
// found while the command line is parsed.
CLI::Validator fsync_option_validator();

// The help of the options whose meaning depends on what the device stores.
struct journal_log_help_t {
    std::string segment_bytes; // what rolling and deleting segments means here
    std::string max_record;    // what the record body limit refuses, and how
    std::string repair;        // what happens after damaged segments are moved away
};

// Adds --fsync (its text to fsync_text: apply it with apply_fsync_option once parsed, so
// --print-config shows it as typed), --segment-bytes, --max-record and --repair to app, in
// the option group named group.
void add_journal_log_options(CLI::App& app, log_options_t& log, std::string& fsync_text,
                             const journal_log_help_t& help, const std::string& group);

} // namespace zd::journal

// The subcommands of zd-journal-tool, each returning the process exit code (0 ok, 1 damage
// or runtime failure). main.cpp parses the command line; these do the work.
#pragma once

#include "base/device_options.hpp"
#include "journal/log.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace zd::journal_tool {

enum class format_t { text, hex, json };

struct inspect_options_t {
    std::string dir;
    format_t format = format_t::text;
    std::uint64_t from = 0;             // first offset to print
    bool from_end = false;              // tail: only records appended from now on
    std::optional<std::uint64_t> count; // stop after this many records
    std::uint32_t max_body = journal::max_record_body;
};

int dump(const inspect_options_t& options);
int verify(const inspect_options_t& options);
int tail(const inspect_options_t& options);

// consume: a named consumer on the journal's backend, for the shell.
struct consume_options_t {
    std::string endpoint;                 // the backend, e.g. tcp://127.0.0.1:5561
    std::string name;                     // the consumer name (where it resumes)
    std::string from = "stored";          // the SUB position
    std::uint32_t window = 100;           // records in flight unacknowledged
    std::optional<std::uint64_t> count;   // stop after this many records
    std::optional<std::uint64_t> idle_ms; // stop after this long without a record
    format_t format = format_t::text;
    curve_flags_t curve; // --curve-cert, --curve-server-key: CURVE to the journal
};
int consume(const consume_options_t& options);

// read: a range of records from the journal's replay socket.
struct read_options_t {
    std::string endpoint;               // the replay socket
    std::string from = "earliest";      // the first position
    std::optional<std::uint64_t> count; // how many records (default: to the end)
    std::uint64_t timeout_ms = 5000;    // per answer
    format_t format = format_t::text;
    curve_flags_t curve; // --curve-cert, --curve-server-key: CURVE to the journal
};
int read_range(const read_options_t& options);

struct bench_options_t {
    std::string dir;
    std::uint64_t records = 100000;
    std::size_t size = 256;     // payload bytes per record
    std::uint64_t group = 1000; // records per fdatasync (raw) or per commit (log); 0 = never sync
    journal::fsync_policy policy = journal::fsync_policy::batch;
    std::uint64_t segment_bytes = 64ull << 20;
    int retry_ms = 10000; // bench-log: how long a full disk is waited for
    bool keep = false;    // leave the files behind
};

int bench_raw(const bench_options_t& options);
int bench_log(const bench_options_t& options);

} // namespace zd::journal_tool

// zd-journal-tool: look into a journal directory without the device (dump, verify, tail),
// drain or replay a running journal from the shell (consume, read), and measure the disk
// (bench-raw) beside the log (bench-log) in the same run.
//   zd-journal-tool dump DIR [--format text|hex|json] [--from N] [--count N]
//   zd-journal-tool verify DIR          (exit 1 if DIR is not a journal or is damaged)
//   zd-journal-tool tail DIR [--from N|end] [--count N] [--format ...]
//   zd-journal-tool consume ENDPOINT --name NAME [--from POS] [--count N] [--idle MS] [--format
//   ...] zd-journal-tool read ENDPOINT [--from POS] [--count N] [--timeout MS] [--format ...]
//   zd-journal-tool bench-raw DIR --records N --size 256 --group G
//   zd-journal-tool bench-log DIR --records N --size 256 --group G [--fsync POLICY]
// Exit codes: 0 ok, 1 damage found or runtime failure, 2 usage.
#include "base/log.hpp"
#include "cli/device_cli.hpp"
#include "cli/number_option.hpp"
#include "tool.hpp"

#include <CLI/CLI.hpp>

#include <iostream>
#include <map>

using namespace zd::journal_tool;

namespace {

void add_inspect_options(CLI::App& command, inspect_options_t& options, std::string& from,
                         bool with_format) {
    command.add_option("dir", options.dir, "Journal directory")->required();
    if (with_format) {
        const std::map<std::string, format_t> formats{
            {"text", format_t::text}, {"hex", format_t::hex}, {"json", format_t::json}};
        command.add_option("--format", options.format, "text (default), hex or json")
            ->transform(CLI::CheckedTransformer(formats, CLI::ignore_case));
        command.add_option("--from", from, "First offset to print (tail: 'end' = new only)")
            ->check(CLI::Validator(
                [](std::string& value) -> std::string {
                    const bool digits = !value.empty() && value.size() <= 19 &&
                                        value.find_first_not_of("0123456789") == std::string::npos;
                    if (digits || value == "end") return {};
                    return "bad offset '" + value + "': a number or 'end'";
                },
                "OFFSET|end"));
        command.add_option("--count", options.count, "Stop after this many records");
    }
}

void parse_from(const std::string& from, inspect_options_t& options) {
    if (from.empty()) return;
    if (from == "end") {
        options.from_end = true;
        return;
    }
    options.from = std::stoull(from); // checked by the option's validator
}

void add_format_option(CLI::App& command, format_t& format) {
    const std::map<std::string, format_t> formats{
        {"text", format_t::text}, {"hex", format_t::hex}, {"json", format_t::json}};
    command.add_option("--format", format, "text (default), hex or json")
        ->transform(CLI::CheckedTransformer(formats, CLI::ignore_case));
}

// consume and read only connect: a CURVE client needs its own certificate and the journal's.
void add_client_curve_options(CLI::App& command, zd::curve_flags_t& flags) {
    const char* group = "Security (docs/SECURITY.md)";
    command
        .add_option("--curve-cert", flags.certificate,
                    "CURVE: our own secret certificate (NAME_secret from zd-keygen, mode 0600), "
                    "in the journal's allow-list")
        ->type_name("FILE")
        ->group(group);
    command
        .add_option("--curve-server-key", flags.server_key,
                    "CURVE: the journal's public certificate")
        ->type_name("FILE")
        ->group(group);
}

void add_consume_options(CLI::App& command, consume_options_t& options) {
    command
        .add_option("endpoint", options.endpoint,
                    "The journal's backend (--backend), e.g. tcp://127.0.0.1:5561")
        ->required();
    command.add_option("--name", options.name, "Consumer name: where it resumes next time")
        ->required();
    command
        .add_option("--from", options.from,
                    "Where to start: stored (default: after this name's last ACK), earliest, "
                    "latest, an offset, or @ms since the epoch")
        ->capture_default_str();
    command.add_option("--window", options.window, "Records in flight unacknowledged (1..65536)")
        ->check(zd::whole_number(1, 65536))
        ->capture_default_str();
    command.add_option("--count", options.count, "Stop after this many records");
    command.add_option("--idle", options.idle_ms,
                       "Stop after this many ms without a record (drain the backlog, then exit)");
    add_format_option(command, options.format);
    add_client_curve_options(command, options.curve);
}

void add_read_options(CLI::App& command, read_options_t& options) {
    command.add_option("endpoint", options.endpoint, "The journal's replay socket (--replay)")
        ->required();
    command
        .add_option("--from", options.from,
                    "First position: earliest (default), latest, an offset, or @ms since the "
                    "epoch")
        ->capture_default_str();
    command.add_option("--count", options.count, "How many records (default: to the end)");
    command.add_option("--timeout", options.timeout_ms, "Wait this many ms for each answer")
        ->capture_default_str();
    add_format_option(command, options.format);
    add_client_curve_options(command, options.curve);
}

void add_bench_options(CLI::App& command, bench_options_t& options) {
    command.add_option("dir", options.dir, "Directory for the benchmark files")->required();
    command.add_option("--records", options.records, "Records to write")->capture_default_str();
    command.add_option("--size", options.size, "Payload bytes per record")->capture_default_str();
    command.add_option("--group", options.group, "Records per fdatasync/commit (0 = no sync)")
        ->capture_default_str();
    command.add_flag("--keep", options.keep, "Keep the files written");
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"zd-journal-tool: dump, verify or tail a zd-journal directory offline; "
                 "consume or read a running journal; benchmark the disk and the log",
                 "zd-journal-tool"};
    app.require_subcommand(1);
    inspect_options_t dump_options, verify_options, tail_options;
    std::string dump_from, tail_from, unused;
    auto* dump_command = app.add_subcommand("dump", "Print every record (text, hex or JSON)");
    add_inspect_options(*dump_command, dump_options, dump_from, true);
    auto* verify_command = app.add_subcommand(
        "verify",
        "Check every record and the consumer offsets; exit 1 on "
        "damage or if DIR is not a journal (a torn tail, which recovery cuts, is reported "
        "but not damage)");
    add_inspect_options(*verify_command, verify_options, unused, false);
    auto* tail_command = app.add_subcommand("tail", "Print records as they are committed");
    add_inspect_options(*tail_command, tail_options, tail_from, true);

    consume_options_t consume_options;
    auto* consume_command = app.add_subcommand(
        "consume",
        "SUB to a running journal as a named consumer, print each record and ACK it once it "
        "is written to stdout. At-least-once: a record printed just before a crash or kill -9 "
        "may be printed again by the next consume of the name; a clean stop (--count, --idle, "
        "SIGINT, SIGTERM, SIGHUP) acknowledges everything printed");
    add_consume_options(*consume_command, consume_options);
    read_options_t read_options;
    auto* read_command = app.add_subcommand(
        "read", "Print a range of records from a running journal's replay socket (READ); "
                "acknowledges nothing, moves no consumer");
    add_read_options(*read_command, read_options);

    bench_options_t raw_options, log_options;
    auto* raw_command = app.add_subcommand(
        "bench-raw", "Baseline: write() each record, fdatasync every --group records");
    add_bench_options(*raw_command, raw_options);
    auto* log_command = app.add_subcommand(
        "bench-log", "The same through the journal log: append --group records, commit");
    add_bench_options(*log_command, log_options);
    const std::map<std::string, zd::journal::fsync_policy> policies{
        {"always", zd::journal::fsync_policy::always},
        {"batch", zd::journal::fsync_policy::batch},
        {"interval", zd::journal::fsync_policy::interval},
        {"never", zd::journal::fsync_policy::never}};
    log_command
        ->add_option("--fsync", log_options.policy, "batch (default), always, interval, never")
        ->transform(CLI::CheckedTransformer(policies, CLI::ignore_case));
    log_command->add_option("--segment-bytes", log_options.segment_bytes, "Segment size")
        ->capture_default_str();
    log_command
        ->add_option("--retry-ms", log_options.retry_ms,
                     "How long to wait for space when the disk is full")
        ->capture_default_str();

    zd::add_version_flag(app);
    if (const auto code = zd::parse_command_line(app, argc, argv)) return *code;
    zd::log::configure(app.get_name(), zd::log::level::info); // e.g. the SIGHUP line
    try {
        if (*dump_command) {
            parse_from(dump_from, dump_options);
            return dump(dump_options);
        }
        if (*verify_command) return verify(verify_options);
        if (*tail_command) {
            parse_from(tail_from, tail_options);
            return tail(tail_options);
        }
        if (*consume_command) return consume(consume_options);
        if (*read_command) return read_range(read_options);
        if (*raw_command) return bench_raw(raw_options);
        return bench_log(log_options);
    } catch (const zd::usage_error& error) { // a bad certificate: the operator's file
        zd::log::error(std::string("error: ") + error.what());
        return zd::exit_usage;
    } catch (const std::exception& error) {
        zd::log::error(std::string("error: ") + error.what());
        return 1;
    }
}

// The shared device command line (lib/cli/device_cli.hpp), parsed from argument vectors as a
// shell would pass them: required sides, endpoint validation naming the value, socket
// options said in words, --config files (mistakes named by file and line, sections, flags) and
// --print-config output that must read back as the same options.
#include "cli/device_cli.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>

using Catch::Matchers::Contains;
using Catch::Matchers::Equals;
using Catch::Matchers::StartsWith;

namespace {

// A device's command line, as zd-queue builds it.
struct device_cli_t {
    CLI::App app{"test device", "zd-test"};
    zd::device_options_t options;

    device_cli_t() { zd::add_device_options(app, options); }

    // Parses args (without the program name). Throws CLI::ParseError like the real parse.
    void parse(std::vector<std::string> args) {
        args.insert(args.begin(), "zd-test");
        std::vector<char*> argv;
        for (auto& arg : args)
            argv.push_back(arg.data());
        app.parse(int(argv.size()), argv.data());
    }

    // The message a parse error would print (empty if it parses).
    std::string error_for(std::vector<std::string> args) {
        try {
            parse(std::move(args));
        } catch (const CLI::ParseError& error) {
            return error.what();
        }
        return {};
    }
};

const std::vector<std::string> sides = {"-f", "@tcp://127.0.0.1:5000", "-b",
                                        "@ipc:///tmp/zd-options-test.ipc"};

std::vector<std::string> with_sides(std::vector<std::string> more) {
    std::vector<std::string> args = sides;
    args.insert(args.end(), more.begin(), more.end());
    return args;
}

} // namespace

TEST_CASE("frontend and backend are required and kept as typed", "[options]") {
    device_cli_t cli;
    cli.parse(sides);
    CHECK(cli.options.frontend == "@tcp://127.0.0.1:5000");
    CHECK(cli.options.backend == "@ipc:///tmp/zd-options-test.ipc");
    CHECK(cli.options.control.empty());
    CHECK(cli.options.capture.empty());

    CHECK_THROWS_AS(device_cli_t().parse({"-b", "@tcp://127.0.0.1:5000"}), CLI::RequiredError);
    CHECK_THAT(device_cli_t().error_for({"-b", "@tcp://127.0.0.1:5000"}), Contains("--frontend"));
    CHECK_THAT(device_cli_t().error_for({"-f", "@tcp://127.0.0.1:5000"}), Contains("--backend"));
    CHECK_THAT(device_cli_t().error_for(
                   {"--frontend", "tcp://127.0.0.1:1", "--backend", "tcp://127.0.0.1:2"}),
               Equals(std::string()));
}

TEST_CASE("a bad endpoint is a CLI error that names the option and the value", "[options]") {
    CHECK_THROWS_AS(device_cli_t().parse({"-f", "tcp://x", "-b", "tcp://127.0.0.1:1"}),
                    CLI::ValidationError);
    CHECK_THAT(device_cli_t().error_for({"-f", "tcp://x", "-b", "tcp://127.0.0.1:1"}),
               Contains("--frontend") && Contains("'tcp://x'") && Contains("host:port"));
    CHECK_THAT(device_cli_t().error_for({"-f", "tcp://127.0.0.1:1", "-b", "udp://127.0.0.1:2"}),
               Contains("--backend") && Contains("'udp://127.0.0.1:2'"));
    CHECK_THAT(device_cli_t().error_for(with_sides({"--control", ">tcp://127.0.0.1:*"})),
               Contains("--control") && Contains("wildcard"));
    CHECK_THAT(device_cli_t().error_for(with_sides({"--capture", "tcp://127.0.0.1:1,,"})),
               Contains("--capture") && Contains("'tcp://127.0.0.1:1,,'"));
    CHECK_THAT(device_cli_t().error_for(with_sides({"--bogus"})), Contains("--bogus"));
}

TEST_CASE("socket options: --hwm sets both marks, --linger is bounded", "[options]") {
    device_cli_t cli;
    cli.parse(with_sides({"--hwm", "7", "--linger", "20", "--immediate", "--heartbeat-ivl", "200",
                          "--heartbeat-timeout", "1000", "--max-msg-size", "4096",
                          "--handshake-ivl", "500", "-vv"}));
    const auto& socket = cli.options.common.socket;
    CHECK(socket.send_hwm == 7);
    CHECK(socket.receive_hwm == 7);
    CHECK(socket.linger_ms == 20);
    CHECK(socket.immediate);
    CHECK(socket.heartbeat_interval_ms == 200);
    CHECK(socket.heartbeat_timeout_ms == 1000);
    CHECK(socket.max_message_size == 4096);
    CHECK(socket.handshake_interval_ms == 500);
    CHECK(cli.options.common.verbose == 2);

    device_cli_t defaults;
    defaults.parse(sides);
    CHECK(defaults.options.common.socket.send_hwm == 1000);
    CHECK(defaults.options.common.socket.handshake_interval_ms == 30000); // libzmq's
    CHECK(defaults.options.common.socket.receive_hwm == 1000);
    CHECK(defaults.options.common.socket.linger_ms == 500);

    CHECK_NOTHROW(device_cli_t().parse(with_sides({"--linger", "0"})));
    CHECK_NOTHROW(device_cli_t().parse(with_sides({"--linger", "60000"})));
    CHECK_THAT(device_cli_t().error_for(with_sides({"--linger", "60001"})),
               Contains("--linger") && Contains("60001"));
    CHECK_THAT(device_cli_t().error_for(with_sides({"--linger", "-1"})), Contains("--linger"));
    CHECK_THAT(device_cli_t().error_for(with_sides({"--hwm", "-5"})), Contains("--hwm"));
    CHECK_THAT(device_cli_t().error_for(with_sides({"--hwm", "lots"})), Contains("lots"));
}

TEST_CASE("a config file (--config) reads options from an INI file, the command line wins",
          "[options]") {
    zd::test::temp_dir_t dir;
    const std::string file = dir.write_file("device.ini", "frontend=@tcp://127.0.0.1:5000\n"
                                                          "backend=@ipc:///tmp/from-file.ipc\n"
                                                          "control=@tcp://127.0.0.1:*\n"
                                                          "hwm=7\n"
                                                          "linger=25\n");
    device_cli_t cli;
    cli.parse({"--config", file, "--linger", "30"});
    CHECK(cli.options.frontend == "@tcp://127.0.0.1:5000");
    CHECK(cli.options.backend == "@ipc:///tmp/from-file.ipc");
    CHECK(cli.options.control == "@tcp://127.0.0.1:*");
    CHECK(cli.options.common.socket.send_hwm == 7);
    CHECK(cli.options.common.socket.receive_hwm == 7);
    CHECK(cli.options.common.socket.linger_ms == 30);

    SECTION("a bad endpoint in the file names the value") {
        const std::string bad = dir.write_file("bad.ini", "frontend=tcp://127.0.0.1\n"
                                                          "backend=@tcp://127.0.0.1:*\n");
        CHECK_THAT(device_cli_t().error_for({"--config", bad}),
                   Contains("--frontend") && Contains("'tcp://127.0.0.1'"));
    }
    SECTION("a missing file is an error naming it") {
        CHECK_THAT(device_cli_t().error_for({"--config", dir.file("missing.ini")}),
                   Contains("missing.ini"));
    }
}

TEST_CASE("the --print-config output reads back as the same options", "[options]") {
    zd::test::temp_dir_t dir;
    device_cli_t first;
    first.parse(with_sides({"--hwm", "7", "--linger", "25", "--print-config"}));
    REQUIRE(first.options.common.print_config);
    const std::string printed = first.app.config_to_str(true, true);
    const std::string file = dir.write_file("printed.ini", printed);
    INFO("printed configuration:\n" << printed);

    device_cli_t second;
    REQUIRE_NOTHROW(second.parse({"--config", file}));
    CHECK(second.options.frontend == first.options.frontend);
    CHECK(second.options.backend == first.options.backend);
    CHECK(second.options.control == first.options.control);
    CHECK(second.options.capture == first.options.capture);
    CHECK(second.options.common.socket.send_hwm == 7);
    CHECK(second.options.common.socket.receive_hwm == 7);
    CHECK(second.options.common.socket.linger_ms == 25);
    CHECK(second.options.common.socket.heartbeat_interval_ms ==
          first.options.common.socket.heartbeat_interval_ms);
    CHECK(second.options.common.socket.max_message_size ==
          first.options.common.socket.max_message_size);
    // Reading the printed configuration must run the device, not print it again.
    CHECK_FALSE(second.options.common.print_config);
}

TEST_CASE("the --print-config output with every option given reads back", "[options]") {
    // The part of the round trip that works today: with every optional endpoint and
    // numeric option given, only print-config itself stands in the way.
    zd::test::temp_dir_t dir;
    device_cli_t first;
    first.parse(with_sides({"--control", "@tcp://127.0.0.1:*", "--capture", "@inproc://capture",
                            "--hwm", "7", "--heartbeat-ivl", "100", "--heartbeat-timeout", "300",
                            "--heartbeat-ttl", "500", "--max-msg-size", "65536"}));
    const std::string printed = first.app.config_to_str(true, true);
    INFO("printed configuration:\n" << printed);
    device_cli_t second;
    REQUIRE_NOTHROW(second.parse({"--config", dir.write_file("printed.ini", printed)}));
    CHECK(second.options.frontend == first.options.frontend);
    CHECK(second.options.backend == first.options.backend);
    CHECK(second.options.control == "@tcp://127.0.0.1:*");
    CHECK(second.options.capture == "@inproc://capture");
    CHECK(second.options.common.socket.send_hwm == 7);
    CHECK(second.options.common.socket.receive_hwm == 7);
    CHECK(second.options.common.socket.heartbeat_interval_ms == 100);
    CHECK(second.options.common.socket.heartbeat_timeout_ms == 300);
    CHECK(second.options.common.socket.heartbeat_ttl_ms == 500);
    CHECK(second.options.common.socket.max_message_size == 65536);
}

TEST_CASE("a bad number says the range in words", "[options]") {
    CHECK_THAT(device_cli_t().error_for(with_sides({"--hwm", "-5"})),
               Equals("--hwm: must be a whole number from 0 to 2147483647, not '-5'"));
    CHECK_THAT(device_cli_t().error_for(with_sides({"--io-threads", "65"})),
               Equals("--io-threads: must be a whole number from 1 to 64, not '65'"));
    CHECK_THAT(device_cli_t().error_for(with_sides({"--linger", "1.5"})),
               Equals("--linger: must be a whole number from 0 to 60000, not '1.5'"));
    CHECK_THAT(device_cli_t().error_for(with_sides({"--max-msg-size", "-2"})),
               Contains("from -1 to 4611686018427387904"));
}

TEST_CASE("config file mistakes are errors naming the file and the line", "[options]") {
    zd::test::temp_dir_t dir;
    const auto error_for_file = [&](const std::string& text) {
        return device_cli_t().error_for({"--config", dir.write_file("q.ini", text)});
    };
    const std::string file = dir.file("q.ini");
    CHECK_THAT(error_for_file("frontend = @tcp://127.0.0.1:1\nbackend = @tcp://127.0.0.1:2\n"
                              "fronted = @tcp://127.0.0.1:3\n"),
               Equals(file + ":3: unknown option 'fronted'"));
    CHECK_THAT(error_for_file("hwm = 5\nthis is not an option\n"),
               StartsWith(file + ":2: expected 'key = value'"));
    CHECK_THAT(error_for_file("hwm = 5\nlinger = 1\nhwm = 6\n"),
               Equals(file + ":3: 'hwm' given twice (also on line 1)"));
    CHECK_THAT(error_for_file("[zd-nope]\n"), StartsWith(file + ":1: unknown section '[zd-nope]'"));
    CHECK_THAT(error_for_file("print-config = true\n"),
               Equals(file + ":1: 'print-config' cannot be set in a configuration file"));
    CHECK_THAT(error_for_file("config = other.ini\n"), Contains(file + ":1:"));
}

TEST_CASE("config files: sections, flags, quoted values, lists split like CLI11's", "[options]") {
    zd::test::temp_dir_t dir;
    const std::string file = dir.write_file("q.ini", "hwm = 5\n"
                                                     "linger = 9\n"
                                                     "verbose = true\n"
                                                     "immediate = 1\n"
                                                     "[zd-broker]\n"
                                                     "endpoint = ignored, not ours\n"
                                                     "[zd-test]\n"
                                                     "frontend = \"@tcp://127.0.0.1:5000\"\n"
                                                     "backend = @tcp://127.0.0.1:1,@ipc:///tmp/b\n"
                                                     "hwm = 6\n");
    device_cli_t cli;
    cli.parse({"--config", file});
    CHECK(cli.options.frontend == "@tcp://127.0.0.1:5000");
    CHECK(cli.options.backend == "@tcp://127.0.0.1:1,@ipc:///tmp/b");
    CHECK(cli.options.common.socket.send_hwm == 6); // the program's own section wins
    CHECK(cli.options.common.socket.linger_ms == 9);
    CHECK(cli.options.common.verbose == 1);
    CHECK(cli.options.common.socket.immediate);
}

TEST_CASE("a --print-config template needs no required option and prints them commented",
          "[options]") {
    zd::test::temp_dir_t dir;
    device_cli_t first;
    std::vector<std::string> args = {"zd-test", "--hwm", "7", "-vv", "--print-config"};
    std::vector<char*> argv;
    for (auto& arg : args)
        argv.push_back(arg.data());
    REQUIRE_FALSE(zd::parse_command_line(first.app, int(argv.size()), argv.data()));
    const std::string printed = first.app.config_to_str(true, true);
    INFO("printed configuration:\n" << printed);
    CHECK_THAT(printed, Contains("[zd-test]\n") && Contains("# frontend =   (required)") &&
                            Contains("\nhwm = 7\n") && Contains("\nverbose = 2\n") &&
                            Contains("\nlinger = 500\n") && Contains("\nimmediate = false\n"));

    // The template reads back; the required options then come from the command line.
    device_cli_t second;
    REQUIRE_NOTHROW(
        second.parse(with_sides({"--config", dir.write_file("template.ini", printed)})));
    CHECK(second.options.common.socket.send_hwm == 7);
    CHECK(second.options.common.verbose == 2);
    CHECK(second.options.common.socket.linger_ms == 500);
    CHECK_FALSE(second.options.common.print_config);
    CHECK_THAT(device_cli_t().error_for({"--config", dir.file("template.ini")}),
               Contains("--frontend is required"));
}

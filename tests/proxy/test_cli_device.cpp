// The command line of every device as a user meets it: usage errors exit 2 and name the bad
// value, --help and --version exit 0, an address already in use exits 1, the
// --print-config output starts the same device again, and a config file's mistakes are named
// by file and line.
//
//    (no topology: each case runs a device binary once and reads its exit code and output)
#include "device_harness.hpp"

using namespace zd::test;
using Catch::Matchers::Contains;

namespace {
const std::vector<std::string> all_devices = {queue_path, forwarder_path, streamer_path};
} // namespace

TEST_CASE("a bad endpoint exits 2 with a message naming the value", "[cli]") {
    for (const auto& path : all_devices) {
        INFO(path);
        auto result =
            run_to_completion(path, {"-f", "udp://127.0.0.1:5000", "-b", "@tcp://127.0.0.1:*"});
        CHECK(result.exit_code == 2);
        CHECK_THAT(result.err, Contains("'udp://127.0.0.1:5000'") && Contains("unknown transport"));

        result = run_to_completion(path, {"-f", "@tcp://127.0.0.1:*", "-b", "tcp://127.0.0.1"});
        CHECK(result.exit_code == 2);
        CHECK_THAT(result.err, Contains("--backend") && Contains("'tcp://127.0.0.1'"));

        result = run_to_completion(path, {"-f", "@tcp://127.0.0.1:*", "-b", "@tcp://127.0.0.1:*",
                                          "--control", ">tcp://127.0.0.1:*"});
        CHECK(result.exit_code == 2);
        CHECK_THAT(result.err, Contains("--control") && Contains("'>tcp://127.0.0.1:*'"));

        result =
            run_to_completion(path, {"-f", "@tcp://127.0.0.1:99999", "-b", "@tcp://127.0.0.1:*"});
        CHECK(result.exit_code == 2);
        CHECK_THAT(result.err, Contains("port '99999'"));
    }
}

TEST_CASE("an unknown option or a missing side exits 2 naming it", "[cli]") {
    for (const auto& path : all_devices) {
        INFO(path);
        auto result = run_to_completion(
            path, {"-f", "@tcp://127.0.0.1:*", "-b", "@tcp://127.0.0.1:*", "--frobnicate"});
        CHECK(result.exit_code == 2);
        CHECK_THAT(result.err, Contains("--frobnicate"));

        result = run_to_completion(path, {"-b", "@tcp://127.0.0.1:*"});
        CHECK(result.exit_code == 2);
        CHECK_THAT(result.err, Contains("--frontend"));

        result = run_to_completion(path, {"-f", "@tcp://127.0.0.1:*"});
        CHECK(result.exit_code == 2);
        CHECK_THAT(result.err, Contains("--backend"));

        result = run_to_completion(
            path, {"-f", "@tcp://127.0.0.1:*", "-b", "@tcp://127.0.0.1:*", "--linger", "999999"});
        CHECK(result.exit_code == 2);
        CHECK_THAT(result.err, Contains("--linger"));
    }
}

TEST_CASE("--help and --version exit 0", "[cli]") {
    for (const auto& path : all_devices) {
        INFO(path);
        auto help = run_to_completion(path, {"--help"});
        CHECK(help.exit_code == 0);
        CHECK_THAT(help.out, Contains("--frontend") && Contains("--backend") &&
                                 Contains("--control") && Contains("--hwm"));
        auto version = run_to_completion(path, {"--version"});
        CHECK(version.exit_code == 0);
        CHECK_THAT(version.out, Contains(ZD_VERSION));
    }
}

TEST_CASE("binding an address already in use exits 1 naming it", "[cli]") {
    zmq::context_t context;
    zmq::socket_t holder(context, zmq::socket_type::pull);
    holder.set(zmq::sockopt::linger, 0);
    holder.bind("tcp://127.0.0.1:*");
    const std::string taken = holder.get(zmq::sockopt::last_endpoint);
    for (const auto& path : all_devices) {
        INFO(path);
        const auto result =
            run_to_completion(path, {"-f", "@tcp://127.0.0.1:*", "-b", "@" + taken});
        CHECK(result.exit_code == 1);
        CHECK_THAT(result.err, Contains("cannot bind " + taken));
        CHECK_THAT(result.err, !Contains(": ready "));
    }
}

TEST_CASE("a config file starts the device", "[cli]") {
    temp_dir_t dir;
    const std::string file =
        dir.write_file("queue.ini", "frontend=@" + dir.ipc("f.ipc") + "\nbackend=@" +
                                        dir.ipc("b.ipc") + "\nhwm=50\n");
    device_t device(queue_path, {"--config", file});
    CHECK(device.address("frontend") == dir.ipc("f.ipc"));
    CHECK(device.address("backend") == dir.ipc("b.ipc"));
    CHECK(device.stop() == 0);
}

TEST_CASE("the --print-config output starts the same device", "[cli]") {
    temp_dir_t dir;
    const auto printed =
        run_to_completion(queue_path, {"-f", "@" + dir.ipc("f.ipc"), "-b", "@" + dir.ipc("b.ipc"),
                                       "--hwm", "50", "--print-config"});
    REQUIRE(printed.exit_code == 0);
    CHECK_THAT(printed.out, Contains("\nhwm = 50\n"));
    const std::string file = dir.write_file("printed.ini", printed.out);
    child_process_t again(queue_path, {"--config", file});
    INFO("printed configuration:\n" << printed.out);
    const auto ready = again.wait_ready(3s); // throws with the device's stderr if it fails
    CHECK(ready.address("frontend") == dir.ipc("f.ipc"));
    again.send_signal(SIGTERM);
    CHECK(again.wait_exit() == 0);
}

TEST_CASE("zd-queue --print-config > q.ini is a template that starts the device", "[cli]") {
    temp_dir_t dir;
    const auto printed = run_to_completion(queue_path, {"--print-config"}); // no -f/-b
    REQUIRE(printed.exit_code == 0);
    CHECK_THAT(printed.out, Contains("# frontend =   (required)") && Contains("\nlinger = 500\n"));
    const std::string file = dir.write_file("q.ini", printed.out);
    const auto missing = run_to_completion(queue_path, {"--config", file});
    CHECK(missing.exit_code == 2);
    CHECK_THAT(missing.err, Contains("zd-queue: --frontend is required"));
    device_t device(queue_path,
                    {"--config", file, "-f", "@" + dir.ipc("f.ipc"), "-b", "@" + dir.ipc("b.ipc")});
    CHECK(device.address("frontend") == dir.ipc("f.ipc"));
    CHECK(device.stop() == 0);
}

TEST_CASE("a mistake in a config file exits 2 naming the file and the line", "[cli]") {
    temp_dir_t dir;
    const std::string file =
        dir.write_file("q.ini", "frontend = @" + dir.ipc("f.ipc") + "\nbackend = @" +
                                    dir.ipc("b.ipc") + "\n[zd-queue]\nfronted = x\n");
    const auto result = run_to_completion(queue_path, {"--config", file});
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.err, Contains("zd-queue: " + file +
                                    ":4: unknown option 'fronted'\n"
                                    "Run with --help for more information."));

    // A bad value is named by its line too, unless the command line overrides it.
    const std::string bad =
        dir.write_file("bad.ini", "frontend = @" + dir.ipc("f.ipc") + "\nbackend = @" +
                                      dir.ipc("b.ipc") + "\n\nhwm = -1\n");
    const auto from_file = run_to_completion(queue_path, {"--config", bad});
    CHECK(from_file.exit_code == 2);
    CHECK_THAT(from_file.err,
               Contains("zd-queue: " + bad + ":4: --hwm: must be a whole number from 0 to "));
    const auto from_line = run_to_completion(queue_path, {"--config", bad, "--hwm", "x"});
    CHECK_THAT(from_line.err, Contains("zd-queue: --hwm: must be") && !Contains(bad));
}

// The test harness itself (tests/support): a harness that cannot fail would make every test
// that uses it pass for nothing. Child processes are plain /bin/sh scripts here.
#include "child_process.hpp"
#include "json_reader.hpp"

#include <catch2/catch.hpp>
#include <csignal>

using namespace zd::test;
using Catch::Matchers::Contains;

TEST_CASE("a ready line is parsed into resolved endpoints per side", "[process]") {
    const auto ready = parse_ready_line("zd-queue: ready frontend=@tcp://127.0.0.1:41185,"
                                        "@ipc:///tmp/a.ipc backend=>tcp://127.0.0.1:5 "
                                        "control=@tcp://0.0.0.0:7");
    CHECK(ready.program == "zd-queue");
    REQUIRE(ready.sides.size() == 3);
    CHECK(ready.sides.at("frontend").size() == 2);
    CHECK(ready.address("frontend", 0) == "tcp://127.0.0.1:41185");
    CHECK(ready.address("frontend", 1) == "ipc:///tmp/a.ipc");
    CHECK(ready.sides.at("backend")[0].mode == zd::attach_mode::connect);
    CHECK(ready.address("control") == "tcp://127.0.0.1:7"); // a wildcard bind, on loopback
    CHECK_THROWS_AS(ready.address("capture"), std::out_of_range);
    CHECK_THROWS_AS(parse_ready_line("zd-queue: stopping on signal"), std::runtime_error);
    CHECK_THROWS_AS(parse_ready_line("zd-queue: ready frontend"), std::runtime_error);
}

TEST_CASE("a child's ready line, output and exit code are seen", "[process]") {
    child_process_t child("/bin/sh", {"-c", "echo out; echo 'zd-x: starting' >&2; "
                                            "echo 'zd-x: ready frontend=@tcp://127.0.0.1:9' >&2; "
                                            "read line; exit 3"});
    const auto ready = child.wait_ready(5s);
    CHECK(ready.address("frontend") == "tcp://127.0.0.1:9");
    // stdin is /dev/null, so read fails at once and the script exits 3.
    CHECK(child.wait_exit(5s) == 3);
    CHECK(child.stdout_text() == "out\n");
    CHECK_THAT(child.stderr_text(), Contains("zd-x: starting"));
}

TEST_CASE("waiting is bounded: no ready line, no exit, a signal", "[process]") {
    SECTION("a child that exits without a ready line fails wait_ready with its stderr") {
        child_process_t child("/bin/sh", {"-c", "echo 'bad option' >&2; exit 2"});
        CHECK_THROWS_WITH(child.wait_ready(5s),
                          Contains("exited with 2") && Contains("bad option"));
    }
    SECTION("a child that never gets ready fails wait_ready after the timeout") {
        child_process_t child("/bin/sh", {"-c", "exec sleep 30"});
        const auto start = std::chrono::steady_clock::now();
        CHECK_THROWS_WITH(child.wait_ready(200ms), Contains("not ready after 200 ms"));
        CHECK(std::chrono::steady_clock::now() - start < 2s);
        CHECK_FALSE(child.wait_exit(50ms).has_value());
        child.send_signal(SIGTERM);
        CHECK(child.wait_exit(5s) == 128 + SIGTERM);
    }
    SECTION("the destructor kills and reaps a child still running") {
        pid_t pid = 0;
        {
            child_process_t child("/bin/sh", {"-c", "exec sleep 30"});
            pid = child.pid();
        }
        CHECK(kill(pid, 0) == -1); // reaped: no such process any more
    }
    SECTION("a missing program is an error") {
        CHECK_THROWS_AS(child_process_t("/nonexistent/zd-none", {}), std::system_error);
    }
}

TEST_CASE("a child starts with SIGTERM deliverable even if the test blocks it", "[process]") {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigset_t old;
    pthread_sigmask(SIG_BLOCK, &set, &old);
    child_process_t child("/bin/sh", {"-c", "exec sleep 30"});
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    child.send_signal(SIGTERM);
    CHECK(child.wait_exit(5s) == 128 + SIGTERM);
}

TEST_CASE("run_to_completion returns code and output, and bounds the wait", "[process]") {
    const auto result = run_to_completion("/bin/sh", {"-c", "echo hi; echo err >&2; exit 4"});
    CHECK(result.exit_code == 4);
    CHECK(result.out == "hi\n");
    CHECK(result.err == "err\n");
    CHECK_THROWS_WITH(run_to_completion("/bin/sh", {"-c", "exec sleep 30"}, 100ms),
                      Contains("still running"));
}

TEST_CASE("the JSON reader accepts JSON and rejects what is not", "[json]") {
    const auto value = parse_json(R"( {"a": [1, -2.5e3, true, false, null, "x\u00e9\ud83d\ude00"],
                                      "b": {}} )");
    CHECK(value["a"].items.size() == 6);
    CHECK(value["a"].items[0].as_uint64() == 1);
    CHECK(value["a"].items[5].text == "x\xc3\xa9\xf0\x9f\x98\x80");
    CHECK(value["b"].members.empty());
    for (const char* bad :
         {"", "{", "{\"a\":1,}", "[1,]", "{'a':1}", "\"tab\there\"", "01", "1.", "nul", "\"\\x\"",
          "\"\xff\"", "\"\xc0\xaf\"", "{} {}", "\"\\ud800\"", "[1 2]"}) {
        INFO(bad);
        CHECK_THROWS_AS(parse_json(bad), std::runtime_error);
    }
    CHECK_THROWS_AS(parse_json("-1").as_uint64(), std::runtime_error);
    CHECK_THROWS_AS(parse_json("{}")["missing"], std::out_of_range);
}

// zd-call and zd-worker as a user runs them: real processes around a real zd-broker, checked
// by exit code, stdout and stderr.
//
//     zd-call (process) ---> zd-broker (process) <--- zd-worker (process) --> COMMAND per request
#include "broker_tools_support.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>
#include <cerrno>
#include <csignal>
#include <filesystem>
#include <fstream>

using namespace zd::test;
using namespace std::chrono_literals;

namespace {

run_result_t call(const std::vector<std::string>& args, milliseconds timeout = 10s) {
    return run_to_completion(call_path, args, timeout);
}

// A zd-worker child that is always stopped with SIGTERM (so it kills its commands).
struct worker_process_t {
    child_process_t process;
    explicit worker_process_t(const std::vector<std::string>& args) : process(worker_path, args) {}
    ~worker_process_t() { (void)stop_child(process); }
};

// Runs a shell pipeline (for stdin-fed zd-call runs).
run_result_t shell(const std::string& script, milliseconds timeout = 10s) {
    return run_to_completion("/bin/sh", {"-c", script}, timeout);
}

bool wait_for_file(const std::string& path, milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        std::ifstream in(path);
        std::string line;
        if (in && std::getline(in, line) && !line.empty()) return true;
        std::this_thread::sleep_for(5ms); // polling for the file the command writes
    }
    return false;
}

} // namespace

TEST_CASE("zd-worker --echo and zd-call round trip, MDP/0.1 and 0.2", "[zd-call][zd-worker]") {
    const std::string worker_version = GENERATE("0.1", "0.2");
    const std::string call_version = GENERATE("0.1", "0.2");
    CAPTURE(worker_version, call_version);
    zmq::context_t context;
    broker_process_t broker;
    worker_process_t worker({"-b", broker.endpoint(), "--mdp", worker_version, "--echo", "echo"});
    REQUIRE(wait_for_workers(context, broker.endpoint(), "echo", 1));
    const auto result =
        call({"-b", broker.endpoint(), "--mdp", call_version, "echo", "hello", "two words", ""});
    CHECK(result.exit_code == 0);
    CHECK(result.out == "hello\ntwo words\n\n");
}

TEST_CASE("zd-worker svc -- tr a-z A-Z uppercases each request", "[zd-call][zd-worker]") {
    zmq::context_t context;
    broker_process_t broker;
    worker_process_t worker({"-b", broker.endpoint(), "upper", "--", "tr", "a-z", "A-Z"});
    worker_process_t lines_worker(
        {"-b", broker.endpoint(), "--lines", "upper-lines", "--", "tr", "a-z", "A-Z"});
    REQUIRE(wait_for_workers(context, broker.endpoint(), "upper", 1));
    REQUIRE(wait_for_workers(context, broker.endpoint(), "upper-lines", 1));

    auto result = call({"-b", broker.endpoint(), "upper", "hello world"});
    CHECK(result.exit_code == 0);
    CHECK(result.out == "HELLO WORLD\n");
    // Two frames reach stdin as two lines; stdout comes back as one frame ...
    result = call({"-b", broker.endpoint(), "--format", "json", "upper", "a", "b"});
    CHECK(result.out == "[\"A\\nB\"]\n");
    // ... or one frame per line with --lines.
    result = call({"-b", broker.endpoint(), "--format", "json", "upper-lines", "a", "b"});
    CHECK(result.out == "[\"A\",\"B\"]\n");

    // The body from stdin: whole, or one frame per line.
    result = shell("printf 'from stdin' | " + call_path + " -b " + broker.endpoint() + " upper");
    CHECK(result.exit_code == 0);
    CHECK(result.out == "FROM STDIN\n");
    result = shell("printf 'x\\ny\\n' | " + call_path + " -b " + broker.endpoint() +
                   " --lines --format json upper-lines");
    CHECK(result.out == "[\"X\",\"Y\"]\n");
}

TEST_CASE("zd-worker --concurrency 3 runs three commands at once", "[zd-worker][concurrency]") {
    // Each command waits at a barrier (a file with one line per arrival) until all three
    // have arrived: one worker, or two, would never get there.
    zmq::context_t context;
    broker_process_t broker;
    temp_dir_t dir;
    const std::string barrier = dir.file("barrier");
    const std::string script =
        "echo x >> \"$0\"; while [ \"$(wc -l < \"$0\")\" -lt 3 ]; do sleep 0.01; done; cat";
    worker_process_t worker({"-b", broker.endpoint(), "--concurrency", "3", "--command-timeout",
                             "15000", "meet", "--", "/bin/sh", "-c", script, barrier});
    REQUIRE(wait_for_workers(context, broker.endpoint(), "meet", 3));

    std::vector<std::unique_ptr<child_process_t>> calls;
    for (int i = 0; i < 3; ++i)
        calls.push_back(std::make_unique<child_process_t>(
            call_path,
            std::vector<std::string>{"-b", broker.endpoint(), "--timeout", "15000", "--retries",
                                     "0", "meet", "caller " + std::to_string(i)}));
    for (int i = 0; i < 3; ++i) {
        CAPTURE(i);
        CHECK(calls[i]->wait_exit(20s) == 0);
        CHECK(calls[i]->stdout_text() == "caller " + std::to_string(i) + "\n");
    }
}

TEST_CASE("control: with --concurrency 2 the three-way barrier is never met",
          "[zd-worker][concurrency]") {
    zmq::context_t context;
    broker_process_t broker;
    temp_dir_t dir;
    const std::string script =
        "echo x >> \"$0\"; while [ \"$(wc -l < \"$0\")\" -lt 3 ]; do sleep 0.01; done; cat";
    worker_process_t worker({"-b", broker.endpoint(), "--concurrency", "2", "--command-timeout",
                             "300", "meet", "--", "/bin/sh", "-c", script, dir.file("barrier")});
    REQUIRE(wait_for_workers(context, broker.endpoint(), "meet", 2));
    std::vector<std::unique_ptr<child_process_t>> calls;
    for (int i = 0; i < 3; ++i)
        calls.push_back(std::make_unique<child_process_t>(
            call_path, std::vector<std::string>{"-b", broker.endpoint(), "--timeout", "10000",
                                                "--retries", "0", "meet", "x"}));
    int timed_out = 0;
    for (auto& c : calls) {
        const std::optional<int> exit_code = c->wait_exit(15s);
        if (c->stdout_text().starts_with("ERROR /bin/sh: timed out")) {
            ++timed_out;
            CHECK(exit_code == 4); // a reply that reports a failure
        } else {
            CHECK(exit_code == 0);
        }
    }
    // Two at a time, the third arrival can only come after one of them has given up.
    CHECK(timed_out >= 1);
}

TEST_CASE("zd-call exits 3 with a clear message when no worker answers", "[zd-call]") {
    broker_process_t broker;
    const auto started = std::chrono::steady_clock::now();
    const auto result =
        call({"-b", broker.endpoint(), "--timeout", "200", "--retries", "1", "nobody", "x"});
    CHECK(result.exit_code == 3);
    CHECK(result.out.empty());
    CHECK_THAT(result.err, Catch::Contains("no reply from service 'nobody' after 2 attempts"));
    CHECK_THAT(result.err, Catch::Contains("no worker for service 'nobody'"));
    CHECK(std::chrono::steady_clock::now() - started >= 400ms);
}

TEST_CASE("zd-call mmi.service prints 200 (exit 0) or 404 (exit 4)", "[zd-call][mmi]") {
    zmq::context_t context;
    broker_process_t broker;
    worker_process_t worker({"-b", broker.endpoint(), "--echo", "echo"});
    REQUIRE(wait_for_workers(context, broker.endpoint(), "echo", 1));
    auto result = call({"-b", broker.endpoint(), "mmi.service", "echo"});
    CHECK(result.exit_code == 0);
    CHECK(result.out == "200\n");
    result = call({"-b", broker.endpoint(), "mmi.service", "nope"});
    CHECK(result.exit_code == 4);
    CHECK(result.out == "404\n");
    result = call({"-b", broker.endpoint(), "mmi.unknown", "x"});
    CHECK(result.exit_code == 4);
    CHECK(result.out == "501\n");
    // The broker also comes from $ZD_BROKER.
    result = run_to_completion(
        "/usr/bin/env", {"ZD_BROKER=" + broker.endpoint(), call_path, "mmi.service", "echo"});
    CHECK(result.exit_code == 0);
    CHECK(result.out == "200\n");
}

TEST_CASE("zd-call prints 0.2 PARTIALs as they arrive, then the FINAL", "[zd-call][partial]") {
    zmq::context_t context;
    broker_process_t broker(fast_heartbeats);
    running_worker_t worker(context, broker.endpoint(), "stream", fast_worker_options(),
                            zd::mdp::streaming_handler_t(
                                [](zd::mdp::frames_t body, zd::mdp::request_context_t& context) {
                                    context.partial({"part 1"});
                                    context.partial({"part 2"});
                                    return body;
                                }));
    REQUIRE(wait_for_workers(context, broker.endpoint(), "stream", 1));
    auto result = call({"-b", broker.endpoint(), "stream", "end"});
    CHECK(result.exit_code == 0);
    CHECK(result.out == "part 1\npart 2\nend\n");
    result = call({"-b", broker.endpoint(), "--mdp", "0.1", "stream", "end"});
    CHECK(result.out == "end\n"); // 0.1 has no PARTIAL
}

TEST_CASE("zd-call and zd-worker refuse bad arguments with exit 2", "[zd-call][zd-worker][cli]") {
    using args_t = std::vector<std::string>;
    struct case_t {
        std::string program;
        args_t args;
        std::string message;
    };
    const std::vector<case_t> cases{
        {call_path, {}, "service is required"},
        {call_path, {"--mdp", "0.3", "echo", "x"}, "0.3"},
        {call_path, {"-b", "tcp://nohost", "echo", "x"}, "tcp://nohost"},
        {call_path, {"--timeout", "-5", "echo", "x"}, "--timeout"},
        {call_path, {"--format", "xml", "echo", "x"}, "xml"},
        {call_path, {"--no-such-flag", "echo"}, "--no-such-flag"},
        {worker_path, {"svc"}, "COMMAND (after --) or --echo is required"},
        {worker_path, {"--echo", "svc", "--", "cat"}, "--echo takes no COMMAND"},
        {worker_path, {"--echo", "mmi.mine"}, "mmi."},
        {worker_path, {"--echo", "--concurrency", "0", "svc"}, "--concurrency"},
        {worker_path, {"--echo", "-b", "ipc://", "svc"}, "ipc://"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.program, c.args);
        const auto result = run_to_completion(c.program, c.args);
        CHECK(result.exit_code == 2);
        CHECK_THAT(result.err, Catch::Contains(c.message));
    }
}

TEST_CASE("zd-worker: a failing command is answered as an ERROR, and the worker goes on",
          "[zd-worker]") {
    zmq::context_t context;
    broker_process_t broker;
    temp_dir_t dir;
    // A command that can run when zd-worker starts (it refuses one that cannot) and is gone
    // when the requests come.
    const std::string vanishing = dir.file("vanishing");
    std::ofstream(vanishing) << "#!/bin/sh\ncat\n";
    std::filesystem::permissions(vanishing, std::filesystem::perms::owner_all);
    worker_process_t status(
        {"-b", broker.endpoint(), "status", "--", "/bin/sh", "-c", "echo answer anyway; exit 3"});
    worker_process_t missing({"-b", broker.endpoint(), "missing", "--", vanishing});
    worker_process_t slow(
        {"-b", broker.endpoint(), "--command-timeout", "200", "slow", "--", "sleep", "30"});
    for (const char* service : {"status", "missing", "slow"})
        REQUIRE(wait_for_workers(context, broker.endpoint(), service, 1));
    std::filesystem::remove(vanishing);

    // A non-zero exit status: an ERROR frame, then stdout; zd-call exits 4.
    auto result = call({"-b", broker.endpoint(), "status", "x"});
    CHECK(result.exit_code == 4);
    CHECK(result.out == "ERROR /bin/sh: exit status 3\nanswer anyway\n");
    CHECK_THAT(status.process.stderr_text(), Catch::Contains("exit status 3"));

    // A command that cannot start: an ERROR reply and a log line, twice (no crash).
    for (int i = 0; i < 2; ++i) {
        result = call({"-b", broker.endpoint(), "missing", "x"});
        CHECK(result.exit_code == 4);
        CHECK(result.out == "ERROR " + vanishing + ": cannot start: No such file or directory\n");
    }
    CHECK_THAT(missing.process.stderr_text(), Catch::Contains("cannot start"));

    // --command-timeout kills the command; the reply says so, quickly.
    const auto started = std::chrono::steady_clock::now();
    result = call({"-b", broker.endpoint(), "slow", "x"});
    CHECK(result.exit_code == 4);
    CHECK_THAT(result.out, Catch::StartsWith("ERROR sleep: timed out after 200 ms"));
    CHECK(std::chrono::steady_clock::now() - started < 5s);
    // ... and the worker is still there for the next request.
    result = call({"-b", broker.endpoint(), "mmi.service", "slow"});
    CHECK(result.out == "200\n");
}

TEST_CASE("zd-worker heartbeats while a command runs longer than interval x liveness",
          "[zd-worker][heartbeat]") {
    zmq::context_t context;
    broker_process_t broker({"--heartbeat-interval", "100", "--heartbeat-liveness", "3"});
    // The command's one second is the subject: over three of the broker's expiry windows.
    worker_process_t worker({"-b", broker.endpoint(), "--heartbeat-interval", "100",
                             "--heartbeat-liveness", "5", "slow", "--", "/bin/sh", "-c",
                             "sleep 1; cat"});
    REQUIRE(wait_for_workers(context, broker.endpoint(), "slow", 1));
    const auto result = call(
        {"-b", broker.endpoint(), "--retries", "0", "--timeout", "5000", "slow", "still here"});
    CHECK(result.exit_code == 0);
    CHECK(result.out == "still here\n");
    const auto stats = broker_stats(context, broker.endpoint());
    CHECK(stats["workers_expired"].as_uint64() == 0);
    CHECK(stats["retried"].as_uint64() == 0);
}

TEST_CASE("SIGTERM stops zd-worker: exit 0, the running command killed and reaped",
          "[zd-worker][stop]") {
    zmq::context_t context;
    broker_process_t broker;
    temp_dir_t dir;
    const std::string pid_file = dir.file("pid");
    worker_process_t worker({"-b", broker.endpoint(), "hang", "--", "/bin/sh", "-c",
                             "echo $$ > \"$0\"; exec sleep 30", pid_file});
    REQUIRE(wait_for_workers(context, broker.endpoint(), "hang", 1));
    child_process_t caller(
        call_path, {"-b", broker.endpoint(), "--timeout", "20000", "--retries", "0", "hang", "x"});
    REQUIRE(wait_for_file(pid_file, 5s));
    pid_t command = 0;
    std::ifstream(pid_file) >> command;
    REQUIRE(command > 0);
    REQUIRE(kill(command, 0) == 0); // running

    const auto started = std::chrono::steady_clock::now();
    REQUIRE(stop_child(worker.process, 5s) == 0);
    CHECK(std::chrono::steady_clock::now() - started < 3s);
    CHECK_THAT(worker.process.stderr_text(), Catch::Contains("stopping on signal"));
    errno = 0;
    CHECK(kill(command, 0) == -1);
    CHECK(errno == ESRCH); // gone, and not left a zombie: zd-worker reaped it
}

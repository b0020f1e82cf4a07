// Issue 12: a second device on the ipc:// path of a live one took the socket files over (a
// bind removes the file in its way), and when it stopped, the first ran on unreachable,
// control socket included. Now a device refuses a path a live device holds (exit 1, naming
// the path and the other pid) on both engines, and still takes over the files of a device
// that died.
//
//   producer --PUSH--> @ipc://DIR/in [zd-streamer first] @ipc://DIR/out --PULL--> consumer
//                         control @ipc://DIR/ctl
//   zd-streamer second: -f @ipc://DIR/in             -> exit 1, "ipc://DIR/in", first's pid
//   zd-queue third:     --control @ipc://DIR/ctl     -> exit 1, "ipc://DIR/ctl", first's pid
#include "device_harness.hpp"

#include <sys/stat.h>
#include <unistd.h>

using namespace zd::test;
using Catch::Matchers::Contains;

namespace {

bool exists(const std::string& path) {
    struct stat status {};
    return ::stat(path.c_str(), &status) == 0;
}

std::vector<std::string> first_args(const temp_dir_t& dir, const std::string& engine) {
    return {"-f",        "@" + dir.ipc("in"),  "-b",       "@" + dir.ipc("out"),
            "--control", "@" + dir.ipc("ctl"), "--engine", engine};
}

// A message goes from a producer on DIR/in to a consumer on DIR/out, and the control socket
// on DIR/ctl answers STATS as zd-streamer.
void check_serves(zmq::context_t& context, const temp_dir_t& dir, const std::string& text) {
    auto consumer = connect_socket(context, zmq::socket_type::pull, {dir.ipc("out")});
    auto producer = connect_socket(context, zmq::socket_type::push, {dir.ipc("in")});
    send_multipart(producer, {text});
    CHECK(recv_multipart(consumer, 5s) == frames_t{text});
    const auto reply = control_request(context, dir.ipc("ctl"), "STATS");
    REQUIRE(reply.size() == 1);
    CHECK_THAT(reply[0], Contains("zd-streamer"));
}

} // namespace

TEST_CASE("a second device on a live device's ipc path exits 1 naming it and the first's pid",
          "[ipc][engine]") {
    const std::string engine = GENERATE(std::string("native"), std::string("libzmq"));
    INFO("engine " << engine);
    zmq::context_t context;
    temp_dir_t dir;
    device_t first(streamer_path, first_args(dir, engine));
    const std::string first_pid = "pid " + std::to_string(first.process().pid());

    const auto second = run_to_completion(
        streamer_path, {"-f", "@" + dir.ipc("in"), "-b", "@tcp://127.0.0.1:*", "--engine", engine});
    CHECK(second.exit_code == 1);
    CHECK_THAT(second.err, Contains(dir.ipc("in")) && Contains(first_pid));

    const auto third =
        run_to_completion(queue_path, {"-f", "@tcp://127.0.0.1:*", "-b", "@tcp://127.0.0.1:*",
                                       "--control", "@" + dir.ipc("ctl"), "--engine", engine});
    CHECK(third.exit_code == 1);
    CHECK_THAT(third.err, Contains(dir.ipc("ctl")) && Contains(first_pid));

    check_serves(context, dir, "still reachable");
    CHECK(first.stop() == 0);
    // A clean exit removes the locks (libzmq 4.3 leaves its socket files behind).
    CHECK_FALSE(exists(dir.file("in.lock")));
    CHECK_FALSE(exists(dir.file("ctl.lock")));
}

TEST_CASE("a device takes over the ipc paths of one killed with SIGKILL", "[ipc][engine]") {
    const std::string engine = GENERATE(std::string("native"), std::string("libzmq"));
    INFO("engine " << engine);
    zmq::context_t context;
    temp_dir_t dir;
    {
        device_t killed(streamer_path, first_args(dir, engine));
        REQUIRE(killed.stop(SIGKILL) == 128 + SIGKILL);
    }
    REQUIRE(exists(dir.file("in"))); // left behind, as a crash leaves them
    REQUIRE(exists(dir.file("in.lock")));
    device_t next(streamer_path, first_args(dir, engine));
    check_serves(context, dir, "taken over");
    CHECK(next.stop() == 0);
}

// Abstract names (ipc://@name) have no file to take over and need no lock: the kernel
// refuses a second bind itself.
TEST_CASE("a second device on a live device's abstract ipc name exits 1", "[ipc][engine]") {
    const std::string engine = GENERATE(std::string("native"), std::string("libzmq"));
    INFO("engine " << engine);
    const std::string name = "ipc://@zd-takeover-" + std::to_string(::getpid()) + "-" + engine;
    device_t first(streamer_path,
                   {"-f", "@" + name, "-b", "@tcp://127.0.0.1:*", "--engine", engine});
    const auto second = run_to_completion(
        streamer_path, {"-f", "@" + name, "-b", "@tcp://127.0.0.1:*", "--engine", engine});
    CHECK(second.exit_code == 1);
    CHECK_THAT(second.err, Contains(name) && Contains("Address already in use"));
    CHECK(first.stop() == 0);
}

// Stopping a device with SIGTERM or SIGINT: exit 0 within a second, even while a peer is
// blocked and the device holds messages it cannot deliver (linger is bounded).
//
//    producer --PUSH (far beyond HWM)--> @tcp [PULL] zd-streamer [PUSH] @tcp <--PULL-- consumer
//                                                                        (connected, never reads)
#include "device_harness.hpp"

using namespace zd::test;
using Catch::Matchers::Contains;

namespace {

// With each of the streamer's engines: libzmq's sockets and the native pipeline.
void stop_while_blocked(int signal_number) {
    const std::string engine = GENERATE(std::string("native"), std::string("libzmq"));
    INFO("engine " << engine);
    zmq::context_t context;
    device_t device(streamer_path, {"-f", "@tcp://127.0.0.1:*", "-b", "@tcp://127.0.0.1:*", "--hwm",
                                    "100", "--engine", engine});
    auto producer = connect_socket(context, zmq::socket_type::push, {device.address("frontend")},
                                   [](zmq::socket_t& s) { s.set(zmq::sockopt::sndhwm, 100); });
    auto consumer = attached_consumer(context, device.address("backend"), 10);

    const int sent = flood(producer);
    CHECK(sent > 100); // the device took more than the consumer will ever read

    const auto asked = std::chrono::steady_clock::now();
    device.process().send_signal(signal_number);
    const auto code = device.process().wait_exit(3s);
    const auto took = std::chrono::steady_clock::now() - asked;
    CHECK(code == 0);
    CHECK(took < 1s);
    CHECK_THAT(device.process().stderr_text(), Contains("stopping on signal"));
}

} // namespace

TEST_CASE("SIGTERM stops a device within a second while a peer is blocked", "[signals]") {
    stop_while_blocked(SIGTERM);
}

TEST_CASE("SIGINT stops a device within a second while a peer is blocked", "[signals]") {
    stop_while_blocked(SIGINT);
}

TEST_CASE("an idle device of each kind exits 0 on SIGTERM", "[signals]") {
    for (const auto& path : {queue_path, forwarder_path, streamer_path}) {
        device_t device(path, {"-f", "@tcp://127.0.0.1:*", "-b", "@tcp://127.0.0.1:*"});
        INFO(path);
        CHECK(device.stop(SIGTERM, 2s) == 0);
    }
}

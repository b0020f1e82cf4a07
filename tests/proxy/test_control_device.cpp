// The control socket of a running device: PAUSE holds traffic and RESUME releases it in
// order, STATS and STATISTICS count exactly what passed, unknown commands are answered, and
// TERMINATE ends the device cleanly.
//
//    producer --PUSH--> @tcp [PULL] zd-streamer [PUSH] @tcp <--PULL-- consumer
//                                     |
//                        control @tcp (ROUTER)  <-- REQ / DEALER: PAUSE, RESUME, STATS, ...
//
//    client (REQ, id "client-7") --> @tcp [ROUTER] zd-queue [DEALER] @tcp <-- worker (REP)
//                                     |
//                        control @tcp  <-- REQ: STATISTICS
#include "device_harness.hpp"

using namespace zd::test;
using Catch::Matchers::Contains;

namespace {

std::vector<std::string> with_control(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"-f",        "@tcp://127.0.0.1:*", "-b", "@tcp://127.0.0.1:*",
                                     "--control", "@tcp://127.0.0.1:*"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
}

} // namespace

TEST_CASE("PAUSE holds traffic and RESUME releases all of it, in order", "[control][streamer]") {
    zmq::context_t context;
    device_t device(streamer_path, with_control());
    auto producer = connect_socket(context, zmq::socket_type::push, {device.address("frontend")});
    auto consumer = connect_socket(context, zmq::socket_type::pull, {device.address("backend")});
    const std::string control = device.address("control");

    // First show that traffic flows, so that "nothing arrives" below means paused.
    send_multipart(producer, {"before"});
    REQUIRE(recv_multipart(consumer) == frames_t{"before"});

    CHECK(control_request(context, control, "PAUSE") == frames_t{""});
    CHECK(device_stats(context, device)["state"].text == "paused");
    const int count = 300;
    for (int i = 0; i < count; ++i)
        send_multipart(producer, {std::to_string(i)});
    CHECK_FALSE(readable_within(consumer, 300ms));
    // Paused means not even read: the messages wait in the producer's and device's queues.
    CHECK(device_statistics(context, device)[0] == 1);

    CHECK(control_request(context, control, "RESUME") == frames_t{""});
    CHECK(device_stats(context, device)["state"].text == "running");
    for (int i = 0; i < count; ++i)
        REQUIRE(recv_multipart(consumer) == frames_t{std::to_string(i)});
    CHECK_FALSE(readable_within(consumer, 100ms));
    CHECK(device.stop() == 0);
}

TEST_CASE("STATS counts messages and bytes exactly", "[control][streamer]") {
    zmq::context_t context;
    device_t device(streamer_path, with_control());
    auto producer = connect_socket(context, zmq::socket_type::push, {device.address("frontend")});
    auto consumer = connect_socket(context, zmq::socket_type::pull, {device.address("backend")});

    // 1000 messages of three frames: 10 + 0 + 90 = 100 bytes each.
    const int count = 1000;
    for (int i = 0; i < count; ++i)
        send_multipart(producer, {std::string(10, 'h'), "", std::string(90, 'b')});
    for (int i = 0; i < count; ++i)
        REQUIRE(recv_multipart(consumer));

    const auto stats = device_stats(context, device);
    CHECK(stats["device"].text == "zd-streamer");
    CHECK(stats["version"].text == ZD_VERSION);
    CHECK(stats["pid"].as_uint64() == std::uint64_t(device.process().pid()));
    CHECK(stats["state"].text == "running");
    CHECK(stats["frontend"]["type"].text == "PULL");
    CHECK(stats["backend"]["type"].text == "PUSH");
    REQUIRE(stats["frontend"]["endpoints"].items.size() == 1);
    CHECK(stats["frontend"]["endpoints"].items[0].text ==
          "@" + device.address("frontend")); // resolved port, not '*'
    REQUIRE(stats["control"].items.size() == 1);
    CHECK(stats["control"].items[0].text == "@" + device.address("control"));
    const auto& forward = stats["frontend_to_backend"];
    CHECK(forward["received_messages"].as_uint64() == count);
    CHECK(forward["received_bytes"].as_uint64() == count * 100);
    CHECK(forward["sent_messages"].as_uint64() == count);
    CHECK(forward["sent_bytes"].as_uint64() == count * 100);
    CHECK(forward["dropped_messages"].as_uint64() == 0);
    CHECK(stats["backend_to_frontend"]["received_messages"].as_uint64() == 0);
    CHECK(stats["capture"]["messages"].as_uint64() == 0);
    CHECK(device.stop() == 0);
}

TEST_CASE("STATISTICS gives libzmq's eight values, exact", "[control][queue]") {
    zmq::context_t context;
    device_t device(queue_path, with_control());
    // A fixed routing id (9 bytes) makes the byte counts exact.
    auto client =
        connect_socket(context, zmq::socket_type::req, {device.address("frontend")},
                       [](zmq::socket_t& s) { s.set(zmq::sockopt::routing_id, "client-7"); });
    auto worker = connect_socket(context, zmq::socket_type::rep, {device.address("backend")});
    const int rounds = 40;
    for (int i = 0; i < rounds; ++i) {
        send_multipart(client, {std::string(20, 'q')});
        REQUIRE(recv_multipart(worker) == frames_t{std::string(20, 'q')});
        send_multipart(worker, {std::string(50, 'r')});
        REQUIRE(recv_multipart(client) == frames_t{std::string(50, 'r')});
    }
    // Requests: routing id (8) + delimiter (0) + 20; replies: 8 + 0 + 50.
    const std::uint64_t n = rounds, request = 8 + 20, reply = 8 + 50;
    CHECK(device_statistics(context, device) ==
          std::vector<std::uint64_t>{n, n * request, n, n * reply, n, n * reply, n, n * request});
    CHECK(device.stop() == 0);
}

TEST_CASE("control answers DEALER clients and names unknown commands", "[control]") {
    zmq::context_t context;
    device_t device(forwarder_path, with_control());
    auto dealer = connect_socket(context, zmq::socket_type::dealer, {device.address("control")});
    send_multipart(dealer, {"STATS"});
    const auto reply = recv_multipart(dealer);
    REQUIRE(reply);
    REQUIRE(reply->size() == 1);
    const auto stats = parse_json(reply->front());
    CHECK(stats["device"].text == "zd-forwarder");
    CHECK(stats["frontend"]["type"].text == "XSUB");
    CHECK(stats["backend"]["type"].text == "XPUB");

    const auto unknown = control_request(context, device.address("control"), "SHUTDOWN");
    REQUIRE(unknown.size() == 1);
    CHECK_THAT(unknown[0], Contains("ERROR unknown command 'SHUTDOWN'"));
    CHECK(device.stop() == 0);
}

TEST_CASE("TERMINATE stops the device with exit code 0", "[control]") {
    zmq::context_t context;
    device_t device(queue_path, with_control());
    CHECK(control_request(context, device.address("control"), "TERMINATE") == frames_t{""});
    CHECK(device.process().wait_exit(2s) == 0);
    CHECK_THAT(device.process().stderr_text(), Contains("stopping on TERMINATE"));
}

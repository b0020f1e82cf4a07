// --capture: a PUB socket that gets a copy of every frame the device moves, in both
// directions, with multipart framing intact.
//
//    producer --PUSH--> @tcp [PULL] zd-streamer [PUSH] @tcp <--PULL-- consumer
//                                     |
//                          capture @tcp,@ipc (PUB) <--SUB-- tap 1, tap 2
//
//    client (DEALER) --> @tcp [ROUTER] zd-queue [DEALER] @tcp <-- worker (DEALER)
//                                     |
//                          capture @tcp (PUB) <--SUB-- tap
#include "device_harness.hpp"

using namespace zd::test;

TEST_CASE("capture receives a copy of every frame, on every capture endpoint", "[capture]") {
    temp_dir_t dir;
    zmq::context_t context;
    device_t device(streamer_path, {"-f", "@tcp://127.0.0.1:*", "-b", "@tcp://127.0.0.1:*",
                                    "--capture", "@tcp://127.0.0.1:*,@" + dir.ipc("cap.ipc"),
                                    "--control", "@tcp://127.0.0.1:*"});
    auto producer = connect_socket(context, zmq::socket_type::push, {device.address("frontend")});
    auto consumer = connect_socket(context, zmq::socket_type::pull, {device.address("backend")});
    auto tap_1 = connect_socket(context, zmq::socket_type::sub, {device.address("capture", 0)},
                                [](zmq::socket_t& s) { s.set(zmq::sockopt::subscribe, ""); });
    auto tap_2 = connect_socket(context, zmq::socket_type::sub, {device.address("capture", 1)},
                                [](zmq::socket_t& s) { s.set(zmq::sockopt::subscribe, ""); });
    // The taps' subscriptions must reach the capture PUB before counting: probe through.
    REQUIRE(wait_for_probe(
        [&] {
            send_multipart(producer, {"probe"});
            while (recv_multipart(consumer, 0ms)) {
            }
        },
        {{&tap_1, "probe"}, {&tap_2, "probe"}}));
    while (recv_multipart(consumer, 100ms)) {
    }

    const int count = 300;
    for (int i = 0; i < count; ++i)
        send_multipart(producer, {"m" + std::to_string(i), "", "body " + std::to_string(i)});
    for (int i = 0; i < count; ++i) {
        const frames_t expected{"m" + std::to_string(i), "", "body " + std::to_string(i)};
        REQUIRE(recv_multipart(consumer) == expected);
        REQUIRE(recv_multipart(tap_1) == expected);
        REQUIRE(recv_multipart(tap_2) == expected);
    }
    CHECK_FALSE(readable_within(tap_1, 100ms));
    const auto stats = device_stats(context, device);
    // Every message the device moved was captured: the probes and the 300.
    CHECK(stats["capture"]["messages"].as_uint64() ==
          stats["frontend_to_backend"]["received_messages"].as_uint64());
    CHECK(stats["capture"]["dropped_messages"].as_uint64() == 0);
    CHECK(device.stop() == 0);
}

TEST_CASE("capture sees both directions of a queue, envelopes included", "[capture][queue]") {
    zmq::context_t context;
    device_t device(queue_path, {"-f", "@tcp://127.0.0.1:*", "-b", "@tcp://127.0.0.1:*",
                                 "--capture", "@tcp://127.0.0.1:*"});
    auto client = connect_socket(context, zmq::socket_type::dealer, {device.address("frontend")},
                                 [](zmq::socket_t& s) { s.set(zmq::sockopt::routing_id, "cli"); });
    auto worker = connect_socket(context, zmq::socket_type::dealer, {device.address("backend")});
    auto tap = connect_socket(context, zmq::socket_type::sub, {device.address("capture")},
                              [](zmq::socket_t& s) { s.set(zmq::sockopt::subscribe, ""); });
    // Probe with round trips until the tap sees one.
    auto round_trip = [&](const std::string& body) {
        send_multipart(client, {"", body});
        auto request = recv_multipart(worker);
        REQUIRE(request);
        send_multipart(worker, *request);
        REQUIRE(recv_multipart(client) == frames_t{"", body});
    };
    REQUIRE(wait_for_probe([&] { round_trip("probe"); }, {{&tap, "cli"}}));

    for (int i = 0; i < 50; ++i) {
        round_trip(std::to_string(i));
        // The request as the ROUTER read it, then the reply as the DEALER read it.
        REQUIRE(recv_multipart(tap) == frames_t{"cli", "", std::to_string(i)});
        REQUIRE(recv_multipart(tap) == frames_t{"cli", "", std::to_string(i)});
    }
    CHECK_FALSE(readable_within(tap, 100ms));
    CHECK(device.stop() == 0);
}

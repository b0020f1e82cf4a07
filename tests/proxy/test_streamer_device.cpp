// zd-streamer end to end: producers PUSH into the PULL frontend, consumers PULL from the PUSH
// backend, every message exactly once, order kept per producer, several endpoints per side.
//
//    producer A --PUSH--> @tcp://127.0.0.1:* --+                  +-- @tcp://127.0.0.1:* <--PULL--
//    consumer 1
//                                              [PULL] zd-streamer [PUSH]
//    producer B --PUSH--> @ipc://DIR/in.ipc  --+                  +-- @ipc://DIR/out.ipc <--PULL--
//    consumer 2
#include "device_harness.hpp"

#include <map>
#include <set>

using namespace zd::test;

namespace {

struct streamer_fixture_t {
    temp_dir_t dir;
    zmq::context_t context;
    device_t device{streamer_path,
                    {"-f", "@tcp://127.0.0.1:*,@" + dir.ipc("in.ipc"), "-b",
                     "@tcp://127.0.0.1:*,@" + dir.ipc("out.ipc")}};
};

} // namespace

TEST_CASE("streamer announces every endpoint of both sides", "[streamer]") {
    streamer_fixture_t fixture;
    const auto& sides = fixture.device.ready().sides;
    REQUIRE(sides.at("frontend").size() == 2);
    REQUIRE(sides.at("backend").size() == 2);
    CHECK(fixture.device.address("frontend", 0).starts_with("tcp://127.0.0.1:"));
    CHECK(fixture.device.address("frontend", 1) == fixture.dir.ipc("in.ipc"));
    CHECK(fixture.device.address("backend", 1) == fixture.dir.ipc("out.ipc"));
    CHECK(fixture.device.stop() == 0);
}

TEST_CASE("streamer delivers two producers' messages in order to one consumer", "[streamer]") {
    streamer_fixture_t fixture;
    auto& device = fixture.device;
    auto producer_a =
        connect_socket(fixture.context, zmq::socket_type::push, {device.address("frontend", 0)});
    auto producer_b =
        connect_socket(fixture.context, zmq::socket_type::push, {device.address("frontend", 1)});
    auto consumer =
        connect_socket(fixture.context, zmq::socket_type::pull, {device.address("backend", 1)});

    const int count = 2000;
    for (int i = 0; i < count; ++i) {
        send_multipart(producer_a, {"A", std::to_string(i)});
        send_multipart(producer_b, {"B", std::to_string(i), "tail"});
    }
    std::map<std::string, int> next{{"A", 0}, {"B", 0}};
    for (int received = 0; received < 2 * count; ++received) {
        const auto message = recv_multipart(consumer);
        REQUIRE(message);
        const std::string& producer = message->front();
        REQUIRE(next.count(producer) == 1);
        // Order per producer, frames intact.
        REQUIRE((*message)[1] == std::to_string(next[producer]++));
        REQUIRE(message->size() == (producer == "A" ? 2u : 3u));
    }
    CHECK(next["A"] == count);
    CHECK(next["B"] == count);
    CHECK_FALSE(readable_within(consumer, 100ms)); // nothing twice
    CHECK(device.stop() == 0);
}

TEST_CASE("streamer gives every message to exactly one of two consumers", "[streamer]") {
    streamer_fixture_t fixture;
    auto& device = fixture.device;
    zmq::socket_t consumer_1(fixture.context, zmq::socket_type::pull);
    zmq::socket_t consumer_2(fixture.context, zmq::socket_type::pull);
    connection_watch_t watch_1(fixture.context, consumer_1);
    connection_watch_t watch_2(fixture.context, consumer_2);
    for (auto* consumer : {&consumer_1, &consumer_2})
        consumer->set(zmq::sockopt::linger, 0);
    consumer_1.connect(device.address("backend", 0));
    consumer_2.connect(device.address("backend", 1));
    // Both attached before anything flows, so the round robin sees both.
    REQUIRE(watch_1.wait_handshakes(1));
    REQUIRE(watch_2.wait_handshakes(1));

    auto producer =
        connect_socket(fixture.context, zmq::socket_type::push, {device.address("frontend", 0)});
    const int count = 2000;
    for (int i = 0; i < count; ++i)
        send_multipart(producer, {std::to_string(i)});

    std::set<int> seen;
    int duplicates = 0;
    int per_consumer[2] = {0, 0};
    zmq::socket_t* consumers[2] = {&consumer_1, &consumer_2};
    int last[2] = {-1, -1};
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (int(seen.size()) < count && std::chrono::steady_clock::now() < deadline) {
        for (int c = 0; c < 2; ++c)
            while (auto message = recv_multipart(*consumers[c], 10ms)) {
                const int value = std::stoi(message->front());
                CHECK(value > last[c]); // each consumer sees its share in order
                last[c] = value;
                if (!seen.insert(value).second) ++duplicates;
                ++per_consumer[c];
            }
    }
    CHECK(int(seen.size()) == count);
    CHECK(duplicates == 0);
    CHECK(per_consumer[0] + per_consumer[1] == count);
    // Round robin over two attached consumers: each gets a fair share.
    CHECK(per_consumer[0] > count / 4);
    CHECK(per_consumer[1] > count / 4);
    CHECK(device.stop() == 0);
}

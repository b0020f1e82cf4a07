// zd-streamer's two data paths: the native pipeline (ZMTP spoken by the device itself), which
// it takes by default for tcp and ipc, and libzmq's sockets, which it keeps for what the
// native one does not support. The other streamer tests run the default; these pin each
// engine down: which one runs, connecting out and reconnecting, back-pressure at --hwm with
// nothing lost, and large and many-framed messages through both.
//
//    producers --PUSH--> [PULL] zd-streamer [PUSH] --> consumers (libzmq sockets, this test)
#include "device_harness.hpp"

#include <thread>

using namespace zd::test;
using Catch::Matchers::Contains;

namespace {

std::string engine_of(zmq::context_t& context, const device_t& device) {
    return device_stats(context, device)["engine"].text;
}

// Binds to an address a closed socket held: libzmq closes its listener in the background, so
// the port is free only after a moment. Retries until it is, for up to 5 s.
void bind_when_free(zmq::socket_t& socket, const std::string& address) {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (true) {
        try {
            socket.bind(address);
            return;
        } catch (const zmq::error_t& error) {
            if (error.num() != EADDRINUSE || std::chrono::steady_clock::now() > deadline) throw;
            std::this_thread::sleep_for(10ms);
        }
    }
}

// Receives count single-frame messages numbered from first, in order.
void expect_numbered(zmq::socket_t& consumer, int first, int count) {
    for (int i = first; i < first + count; ++i) {
        const auto message = recv_multipart(consumer);
        REQUIRE(message);
        REQUIRE(message->size() == 1);
        REQUIRE(message->front().substr(0, std::to_string(i).size()) == std::to_string(i));
    }
}

} // namespace

TEST_CASE("the streamer runs the native engine for tcp and ipc and libzmq when asked",
          "[streamer][engine]") {
    zmq::context_t context;
    temp_dir_t dir;
    {
        device_t device(streamer_path,
                        with_control({"-f", "@tcp://127.0.0.1:*", "-b", "@" + dir.ipc("out")}));
        CHECK(engine_of(context, device) == "native");
        CHECK(device.stop() == 0);
    }
    {
        device_t device(streamer_path, with_control({"-f", "@tcp://127.0.0.1:*", "-b",
                                                     "@tcp://127.0.0.1:*", "--engine", "libzmq"}));
        CHECK(engine_of(context, device) == "libzmq");
        CHECK(device.stop() == 0);
    }
    { // heartbeats are libzmq's for now: auto falls back
        device_t device(streamer_path,
                        with_control({"-f", "@tcp://127.0.0.1:*", "-b", "@tcp://127.0.0.1:*",
                                      "--heartbeat-ivl", "1000"}));
        CHECK(engine_of(context, device) == "libzmq");
        CHECK(device.stop() == 0);
    }
}

TEST_CASE("the native engine, when asked for, refuses what it cannot serve, naming it",
          "[streamer][engine]") {
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"-f", "@inproc://in", "-b", "@tcp://127.0.0.1:*", "--engine", "native"},
             {"-f", "@tcp://127.0.0.1:*", "-b", "@tcp://127.0.0.1:*", "--engine", "native",
              "--heartbeat-ivl", "100"}}) {
        child_process_t process(streamer_path, args);
        CHECK(process.wait_exit() == 2);
        CHECK_THAT(process.stderr_text(), Contains("--engine native does not support"));
    }
    child_process_t process(streamer_path, {"-f", "@tcp://127.0.0.1:*", "-b", "@tcp://127.0.0.1:*",
                                            "--engine", "fast"});
    CHECK(process.wait_exit() == 2);
    CHECK_THAT(process.stderr_text(), Contains("fast"));
}

TEST_CASE("both engines deliver multipart messages of every size in order", "[streamer][engine]") {
    const std::string engine = GENERATE(std::string("native"), std::string("libzmq"));
    INFO("engine " << engine);
    zmq::context_t context;
    temp_dir_t dir;
    device_t device(streamer_path,
                    {"-f", "@" + dir.ipc("in"), "-b", "@tcp://127.0.0.1:*", "--engine", engine});
    auto consumer = connect_socket(context, zmq::socket_type::pull, {device.address("backend")});
    auto producer = connect_socket(context, zmq::socket_type::push, {device.address("frontend")});
    // Sizes across the short/long frame boundary and up to 4 MiB; up to 1000 frames.
    const std::vector<std::size_t> sizes{0, 1, 255, 256, 65536, 4 << 20};
    int sent = 0;
    for (const std::size_t size : sizes)
        for (const std::size_t frames : {1, 3, 1000}) {
            if (size > 65536 && frames > 3) continue; // 4 GiB is not the point
            frames_t message{std::to_string(sent++)};
            for (std::size_t f = 1; f < frames; ++f)
                message.emplace_back(size, char('a' + f % 26));
            send_multipart(producer, message);
        }
    sent = 0;
    for (const std::size_t size : sizes)
        for (const std::size_t frames : {1, 3, 1000}) {
            if (size > 65536 && frames > 3) continue;
            // The deadline only bounds a failure: a 64 MiB message (1000 frames of 64 KiB)
            // through an ASan build on a busy machine took more than 5 s.
            const auto message = recv_multipart(consumer, 60s);
            REQUIRE(message);
            REQUIRE(message->front() == std::to_string(sent++));
            REQUIRE(message->size() == frames);
            for (std::size_t f = 1; f < frames; ++f)
                REQUIRE((*message)[f] == std::string(size, char('a' + f % 26)));
        }
    CHECK(device.stop() == 0);
}

TEST_CASE("the native streamer connects out and reconnects to a consumer that comes back",
          "[streamer][engine]") {
    zmq::context_t context;
    zmq::socket_t consumer(context, zmq::socket_type::pull);
    consumer.set(zmq::sockopt::linger, 0);
    consumer.bind("tcp://127.0.0.1:*");
    const std::string consumer_address = consumer.get(zmq::sockopt::last_endpoint);
    zmq::socket_t producer(context, zmq::socket_type::push);
    producer.set(zmq::sockopt::linger, 0);
    producer.bind("tcp://127.0.0.1:*");

    device_t device(streamer_path,
                    with_control({"-f", ">" + producer.get(zmq::sockopt::last_endpoint), "-b",
                                  ">" + consumer_address, "--engine", "native"}));
    for (int i = 0; i < 100; ++i)
        send_multipart(producer, {std::to_string(i)});
    expect_numbered(consumer, 0, 100);

    // The consumer goes away; a new one binds the same address. The streamer notices the
    // loss, reconnects (the new consumer sees the handshake) and delivers what came after.
    consumer.close();
    zmq::socket_t again(context, zmq::socket_type::pull);
    again.set(zmq::sockopt::linger, 0);
    connection_watch_t watch(context, again);
    bind_when_free(again, consumer_address);
    REQUIRE(watch.wait_handshakes(1));
    for (int i = 100; i < 200; ++i)
        send_multipart(producer, {std::to_string(i)});
    expect_numbered(again, 100, 100);

    const auto stats = device_stats(context, device);
    CHECK(stats["frontend_to_backend"]["received_messages"].as_uint64() == 200);
    CHECK(stats["frontend_to_backend"]["sent_messages"].as_uint64() == 200);
    CHECK(device.stop() == 0);
}

TEST_CASE("the native streamer holds messages at a consumer's mark and loses none",
          "[streamer][engine]") {
    zmq::context_t context;
    device_t device(streamer_path,
                    with_control({"-f", "@tcp://127.0.0.1:*", "-b", "@tcp://127.0.0.1:*", "--hwm",
                                  "10", "--engine", "native"}));
    auto consumer = attached_consumer(context, device.address("backend"), 10);
    auto producer = connect_socket(context, zmq::socket_type::push, {device.address("frontend")},
                                   [](zmq::socket_t& s) { s.set(zmq::sockopt::sndhwm, 10); });

    const int sent = flood(producer); // until nobody takes more: the consumer never read
    CHECK(sent > 10);
    // The device stopped reading the producer (back-pressure): messages the producer's socket
    // took are still waiting there, not in the device.
    CHECK(device_stats(context, device)["frontend_to_backend"]["received_messages"].as_uint64() <
          std::uint64_t(sent));
    expect_numbered(consumer, 0, sent); // every one of them, in order, once
    CHECK_FALSE(readable_within(consumer, 100ms));
    CHECK(device_stats(context, device)["frontend_to_backend"]["sent_messages"].as_uint64() ==
          std::uint64_t(sent));
    CHECK(device.stop() == 0);
}

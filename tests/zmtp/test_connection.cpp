// connection_t, the non-blocking ZMTP peer, against real libzmq sockets: thousands of
// messages of every size both ways through one poll loop, and peers that break the limits.
#include "raw_socket.hpp"
#include "zmtp/connection.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <vector>
#include <zmq.hpp>
#include <zmq_addon.hpp>

using namespace zd::zmtp;
using namespace zd::test;
using namespace std::chrono;

namespace {

// Message i: one to three frames, sizes from 0 to 70 000 bytes (short and long frames).
std::vector<std::string> message(int i) {
    std::vector<std::string> frames{std::to_string(i)};
    if (i % 3 == 1) frames.emplace_back("");
    if (i % 7 == 2)
        frames.emplace_back(std::size_t(i % 5 == 0 ? 70000 : i % 300), char('a' + i % 26));
    return frames;
}

// Polls our connection (and the libzmq socket, when given) until done(), the connection
// breaks, or the libzmq socket has one of libzmq_events; fails the test after 10 s.
template <typename Done>
void drive(connection_t& ours, zmq::socket_t* libzmq, Done done, short libzmq_events) {
    const auto deadline = steady_clock::now() + seconds(10);
    while (!done()) {
        REQUIRE(steady_clock::now() < deadline);
        zmq::pollitem_t items[2] = {};
        items[0].fd = ours.fd();
        items[0].events = short(ZMQ_POLLIN | (ours.wants_write() ? ZMQ_POLLOUT : 0));
        int count = 1;
        if (libzmq) {
            items[1].socket = libzmq->handle();
            items[1].events = libzmq_events;
            count = 2;
        }
        if (zmq::poll(items, count, milliseconds(100)) == 0) continue;
        if ((items[0].revents & ZMQ_POLLIN) && !ours.on_readable()) return;
        if (ours.wants_write() && !ours.on_writable()) return;
        if (count == 2 && items[1].revents) return; // the caller acts on the libzmq socket
    }
}

} // namespace

TEST_CASE("connection_t receives 3000 messages of every size from a libzmq PUSH in order",
          "[zmtp][interop]") {
    // Small reads make the buffer move partial messages to its front and grow for big ones.
    const std::size_t read_size = GENERATE(std::size_t(100), std::size_t(256 * 1024));
    connected_t link(zmq::socket_type::push);
    link.libzmq.set(zmq::sockopt::sndhwm, 0); // all queued up front, nothing blocks
    connection_t ours(link.ours.release(), "PULL", {}, {.read_size = read_size});
    constexpr int count = 3000;
    for (int i = 0; i < count; ++i) {
        const auto frames = message(i);
        for (std::size_t f = 0; f < frames.size(); ++f)
            link.libzmq.send(zmq::buffer(frames[f]), f + 1 < frames.size()
                                                         ? zmq::send_flags::sndmore
                                                         : zmq::send_flags::none);
    }
    int received = 0;
    std::vector<std::string_view> frames;
    drive(
        ours, nullptr,
        [&] {
            while (ours.next_message(frames)) {
                REQUIRE(std::vector<std::string>(frames.begin(), frames.end()) ==
                        message(received));
                ++received;
            }
            return received == count;
        },
        0);
    CHECK(ours.error() == "");
    CHECK(received == count);
    CHECK(ours.handshake().peer_socket_type() == "PUSH");
    CHECK(ours.ignored_commands() == 0);
}

TEST_CASE("connection_t sends 3000 messages of every size to a libzmq PULL in order",
          "[zmtp][interop]") {
    connected_t link(zmq::socket_type::pull);
    connection_t ours(link.ours.release(), "PUSH");
    constexpr int count = 3000;
    for (int i = 0; i < count; ++i) { // queued before the handshake: they wait for it
        const auto frames = message(i);
        ours.queue_message(std::vector<std::string_view>(frames.begin(), frames.end()));
    }
    int received = 0;
    while (received < count) {
        drive(
            ours, &link.libzmq, [] { return false; }, ZMQ_POLLIN);
        REQUIRE(ours.error() == "");
        std::vector<zmq::message_t> parts;
        while (zmq::recv_multipart(link.libzmq, std::back_inserter(parts),
                                   zmq::recv_flags::dontwait)) {
            std::vector<std::string> frames;
            for (auto& part : parts)
                frames.push_back(part.to_string());
            REQUIRE(frames == message(received));
            ++received;
            parts.clear();
        }
    }
    CHECK_FALSE(ours.wants_write());
}

TEST_CASE("connection_t drops a peer that breaks its limits, saying why", "[zmtp][interop]") {
    SECTION("a message over max_message bytes") {
        connected_t link(zmq::socket_type::push);
        connection_t ours(link.ours.release(), "PULL", {}, {.max_message = 1000});
        link.libzmq.send(zmq::str_buffer("fits"), zmq::send_flags::none);
        link.libzmq.send(zmq::buffer(std::string(600, 'x')), zmq::send_flags::sndmore);
        link.libzmq.send(zmq::buffer(std::string(600, 'y')), zmq::send_flags::none);
        std::vector<std::string_view> frames;
        int whole = 0;
        drive(
            ours, nullptr,
            [&] {
                while (ours.next_message(frames))
                    ++whole;
                return ours.broken();
            },
            0);
        CHECK(whole == 1);
        CHECK(ours.error() == "a message of more than 1000 bytes");
    }
    SECTION("a message of too many frames") {
        connected_t link(zmq::socket_type::push);
        connection_t ours(link.ours.release(), "PULL", {}, {.max_frames = 5});
        for (int i = 0; i < 6; ++i)
            link.libzmq.send(zmq::str_buffer("f"),
                             i < 5 ? zmq::send_flags::sndmore : zmq::send_flags::none);
        std::vector<std::string_view> frames;
        drive(
            ours, nullptr,
            [&] {
                ours.next_message(frames);
                return ours.broken();
            },
            0);
        CHECK(ours.error() == "a message of more than 5 frames");
    }
    SECTION("a peer of the wrong type") {
        connected_t link(zmq::socket_type::pub);
        connection_t ours(link.ours.release(), "PULL");
        drive(
            ours, nullptr, [&] { return ours.broken(); }, 0);
        CHECK(ours.error() == "a PULL socket cannot talk to a PUB socket");
    }
}

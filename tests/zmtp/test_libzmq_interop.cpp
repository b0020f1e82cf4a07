// lib/zmtp against real libzmq sockets (libzmq 4.3, ZMTP 3.1): a libzmq socket connects to a
// plain TCP socket of this test, lib/zmtp does the handshake and the framing on our side,
// and messages must cross intact both ways. Every wait has a deadline; nothing sleeps.
#include "raw_socket.hpp"
#include "zmtp/frame.hpp"
#include "zmtp/handshake.hpp"

#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <chrono>
#include <netinet/in.h>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>
#include <zmq.hpp>

using namespace zd::zmtp;
using namespace std::chrono;
using namespace zd::test;

namespace {

const auto deadline_after = [] { return steady_clock::now() + seconds(5); };

void write_all(const fd_t& fd, std::string_view bytes) {
    while (!bytes.empty()) {
        const ssize_t written = ::write(fd.get(), bytes.data(), bytes.size());
        REQUIRE(written > 0);
        bytes.remove_prefix(std::size_t(written));
    }
}

// Whatever arrives next, waiting at most until deadline; empty if the peer closed.
std::string read_some(const fd_t& fd, steady_clock::time_point deadline) {
    pollfd item{fd.get(), POLLIN, 0};
    const auto left = duration_cast<milliseconds>(deadline - steady_clock::now()).count();
    REQUIRE(::poll(&item, 1, int(std::max<long long>(left, 0))) == 1);
    char buffer[4096];
    const ssize_t got = ::read(fd.get(), buffer, sizeof buffer);
    REQUIRE(got >= 0);
    return std::string(buffer, std::size_t(got));
}

// Runs the handshake over fd; returns the bytes that came after the peer's READY.
std::string handshake(const fd_t& fd, null_handshake_t& ours) {
    const auto deadline = deadline_after();
    std::string after;
    while (!ours.done() && !ours.failed()) {
        write_all(fd, ours.output());
        ours.output().clear();
        const std::string bytes = read_some(fd, deadline);
        if (bytes.empty()) break; // the peer hung up
        const std::size_t used = ours.feed(bytes);
        after += bytes.substr(used);
    }
    write_all(fd, ours.output()); // our READY, if the peer's greeting and READY came together
    ours.output().clear();
    return after;
}

// Reads whole messages (their frames' bodies) until count have arrived.
std::vector<std::vector<std::string>> read_messages(const fd_t& fd, std::string buffer,
                                                    std::size_t count) {
    const auto deadline = deadline_after();
    std::vector<std::vector<std::string>> messages;
    std::vector<std::string> current;
    while (messages.size() < count) {
        const auto decoded = decode_frame(buffer, 1 << 20);
        REQUIRE(decoded.status != decode_status::error);
        if (decoded.status == decode_status::need_more) {
            const std::string bytes = read_some(fd, deadline);
            REQUIRE_FALSE(bytes.empty());
            buffer += bytes;
            continue;
        }
        if (!decoded.frame.command()) { // libzmq may send commands (none expected here)
            current.emplace_back(decoded.frame.body);
            if (!decoded.frame.more()) messages.push_back(std::move(current)), current.clear();
        }
        buffer.erase(0, decoded.consumed);
    }
    return messages;
}

std::vector<std::string> receive(zmq::socket_t& socket) {
    std::vector<std::string> frames;
    do {
        zmq::message_t frame;
        REQUIRE(socket.recv(frame));
        frames.push_back(frame.to_string());
    } while (socket.get(zmq::sockopt::rcvmore));
    return frames;
}

} // namespace

TEST_CASE("a libzmq PUSH hands its messages to lib/zmtp as a PULL", "[zmtp][interop]") {
    connected_t link(zmq::socket_type::push);
    auto& push = link.libzmq;
    const fd_t& connection = link.ours;
    null_handshake_t ours("PULL");
    // libzmq queues until the handshake is done; send before, so both orders are covered.
    push.send(zmq::str_buffer("alpha"), zmq::send_flags::sndmore);
    push.send(zmq::str_buffer(""), zmq::send_flags::sndmore);
    push.send(zmq::str_buffer("gamma"), zmq::send_flags::none);
    const std::string after = handshake(connection, ours);
    REQUIRE(ours.done());
    CHECK(ours.peer_socket_type() == "PUSH");
    CHECK(ours.peer_minor_version() == 1);
    const std::string big(70000, 'b'); // a long-size frame
    push.send(zmq::buffer(big), zmq::send_flags::none);
    const auto messages = read_messages(connection, after, 2);
    CHECK(messages[0] == std::vector<std::string>{"alpha", "", "gamma"});
    CHECK(messages[1] == std::vector<std::string>{big});
}

TEST_CASE("lib/zmtp as a PUSH hands messages to a libzmq PULL", "[zmtp][interop]") {
    connected_t link(zmq::socket_type::pull);
    auto& pull = link.libzmq;
    const fd_t& connection = link.ours;
    null_handshake_t ours("PUSH");
    handshake(connection, ours);
    REQUIRE(ours.done());
    CHECK(ours.peer_socket_type() == "PULL");
    std::string wire;
    append_frame(wire, flag_more, "one");
    append_frame(wire, 0, std::string(300, 'x'));
    append_frame(wire, 0, "two");
    write_all(connection, wire);
    CHECK(receive(pull) == std::vector<std::string>{"one", std::string(300, 'x')});
    CHECK(receive(pull) == std::vector<std::string>{"two"});
}

TEST_CASE("a libzmq DEALER's routing id reaches lib/zmtp as a ROUTER, replies go back",
          "[zmtp][interop]") {
    connected_t link(zmq::socket_type::dealer, "client-7");
    auto& dealer = link.libzmq;
    const fd_t& connection = link.ours;
    null_handshake_t ours("ROUTER");
    dealer.send(zmq::str_buffer("request"), zmq::send_flags::none);
    const std::string after = handshake(connection, ours);
    REQUIRE(ours.done());
    CHECK(ours.peer_socket_type() == "DEALER");
    CHECK(find_property(ours.peer_properties(), "Identity") == "client-7");
    CHECK(read_messages(connection, after, 1)[0] == std::vector<std::string>{"request"});
    std::string reply;
    append_frame(reply, 0, "reply");
    write_all(connection, reply);
    CHECK(receive(dealer) == std::vector<std::string>{"reply"});
}

TEST_CASE("a libzmq PUB is refused by lib/zmtp as a PULL, with the reason", "[zmtp][interop]") {
    connected_t link(zmq::socket_type::pub);
    null_handshake_t ours("PULL");
    handshake(link.ours, ours);
    CHECK(ours.failed());
    CHECK(ours.error() == "a PULL socket cannot talk to a PUB socket");
}

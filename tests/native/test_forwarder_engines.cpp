// zd-forwarder's engines: the native one (ZMTP spoken by the forwarder itself), which it
// takes by default for tcp and ipc, and libzmq's XSUB/XPUB, kept for the last-value cache
// and what the native one does not support. The chain and filter tests (test_forwarder.cpp)
// run both; these pin down the rest: which engine runs, ZMTP 3.0 peers (subscriptions as
// messages, not commands) on both sides, and a slow subscriber's losses counted.
//
//    publishers --> [XSUB] zd-forwarder [XPUB] --> subscribers
#include "base/loop_probe.hpp"
#include "device_harness.hpp"
#include "zmtp/command.hpp"
#include "zmtp/frame.hpp"
#include "zmtp/greeting.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <set>
#include <sys/socket.h>
#include <unistd.h>

using namespace zd::test;
using Catch::Matchers::Contains;

namespace {

// A peer that speaks ZMTP 3.0 over a plain TCP socket, as libzmq 4.1 and other older
// stacks do: its greeting says 3.0, so the forwarder must send it subscriptions as
// messages (1 or 0, then the topic) rather than 3.1's SUBSCRIBE/CANCEL commands.
class zmtp30_peer_t {
public:
    zmtp30_peer_t(const std::string& address, const std::string& socket_type) {
        const auto colon = address.rfind(':');
        sockaddr_in peer{};
        peer.sin_family = AF_INET;
        peer.sin_port = htons(std::uint16_t(std::stoi(address.substr(colon + 1))));
        peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&peer), sizeof peer) == 0);
        const auto greeting = zd::zmtp::make_greeting("NULL", false);
        std::string hello(greeting.begin(), greeting.end());
        hello[11] = 0; // minor version: 3.0
        zd::zmtp::append_frame(
            hello, zd::zmtp::flag_command,
            zd::zmtp::make_command("READY",
                                   zd::zmtp::encode_properties({{"Socket-Type", socket_type}})));
        send_bytes(hello);
        // The forwarder's greeting (64 bytes), then its READY.
        REQUIRE(read_bytes(64));
        buffer_.erase(0, 64);
        const auto ready = next_frame();
        REQUIRE(ready);
        REQUIRE(ready->first & zd::zmtp::flag_command);
    }
    ~zmtp30_peer_t() { ::close(fd_); }

    void send_message(const std::string& body) {
        std::string frame;
        zd::zmtp::append_frame(frame, 0, body);
        send_bytes(frame);
    }

    // The next frame's flags and body; nothing if none comes within the timeout.
    std::optional<std::pair<std::uint8_t, std::string>> next_frame(milliseconds timeout = 2s) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (true) {
            const auto decoded = zd::zmtp::decode_frame(buffer_, 1 << 20);
            REQUIRE(decoded.status != zd::zmtp::decode_status::error);
            if (decoded.status == zd::zmtp::decode_status::frame) {
                std::pair<std::uint8_t, std::string> frame{decoded.frame.flags,
                                                           std::string(decoded.frame.body)};
                buffer_.erase(0, decoded.consumed);
                return frame;
            }
            const auto left = std::chrono::duration_cast<milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0 || !read_some(left)) return std::nullopt;
        }
    }

    // The next frame that is not a forwarder's loop probe (base/loop_probe.hpp): every
    // forwarder subscribes its publishers to its own.
    std::optional<std::pair<std::uint8_t, std::string>>
    next_subscription(milliseconds timeout = 2s) {
        while (true) {
            auto frame = next_frame(timeout);
            if (!frame || !is_probe(frame->second)) return frame;
        }
    }

    static bool is_probe(const std::string& body) {
        return body.size() > 1 && body[0] == 1 &&
               zd::is_loop_probe(std::string_view(body).substr(1));
    }

private:
    void send_bytes(const std::string& bytes) {
        REQUIRE(::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) == ssize_t(bytes.size()));
    }
    bool read_some(milliseconds timeout) {
        pollfd item{fd_, POLLIN, 0};
        if (::poll(&item, 1, int(timeout.count())) != 1) return false;
        char chunk[4096];
        const ssize_t got = ::recv(fd_, chunk, sizeof chunk, 0);
        if (got <= 0) return false;
        buffer_.append(chunk, std::size_t(got));
        return true;
    }
    bool read_bytes(std::size_t count) {
        while (buffer_.size() < count)
            if (!read_some(2s)) return false;
        return true;
    }

    int fd_ = -1;
    std::string buffer_;
};

} // namespace

TEST_CASE("the forwarder runs the native engine, and libzmq for the last-value cache",
          "[forwarder][engine]") {
    zmq::context_t context;
    {
        device_t device(forwarder_path,
                        with_control({"-f", "@tcp://127.0.0.1:*", "-b", "@tcp://127.0.0.1:*"}));
        CHECK(device_stats(context, device)["engine"].text == "native");
        CHECK(device.stop() == 0);
    }
    {
        device_t device(forwarder_path, with_control({"-f", "@tcp://127.0.0.1:*", "-b",
                                                      "@tcp://127.0.0.1:*", "--last-value-cache"}));
        CHECK(device_stats(context, device)["engine"].text == "libzmq");
        CHECK(device.stop() == 0);
    }
    child_process_t refused(forwarder_path, {"-f", "@tcp://127.0.0.1:*", "-b", "@tcp://127.0.0.1:*",
                                             "--last-value-cache", "--engine", "native"});
    CHECK(refused.wait_exit() == 2);
    CHECK_THAT(refused.stderr_text(), Contains("--last-value-cache"));
}

TEST_CASE("the native forwarder speaks ZMTP 3.0's subscription messages both ways",
          "[forwarder][engine]") {
    device_t device(forwarder_path,
                    {"-f", "@tcp://127.0.0.1:*", "-b", "@tcp://127.0.0.1:*", "--engine", "native"});
    zmtp30_peer_t publisher(device.address("frontend"), "PUB");
    zmtp30_peer_t subscriber(device.address("backend"), "SUB");

    // A 3.0 subscriber subscribes with a message; a 3.0 publisher learns of it as one.
    subscriber.send_message(std::string("\1news", 5));
    const auto subscription = publisher.next_subscription();
    REQUIRE(subscription);
    CHECK(subscription->first == 0);
    CHECK(subscription->second == std::string("\1news", 5));

    // Publications reach the subscriber by prefix; others do not.
    publisher.send_message("sport: 1-0");
    publisher.send_message("news: flash");
    const auto publication = subscriber.next_frame();
    REQUIRE(publication);
    CHECK(publication->second == "news: flash");

    subscriber.send_message(std::string("\0news", 5));
    const auto cancellation = publisher.next_subscription();
    REQUIRE(cancellation);
    CHECK(cancellation->second == std::string("\0news", 5));
    CHECK(device.stop() == 0);
}

// Issue 12: the last-value cache subscribes upstream to its prefix for as long as it runs. A
// raw subscriber unsubscribing from the prefix it never subscribed must not end that (the
// XSUB counts subscriptions per prefix; this would take the cache's count to zero). Issue 13:
// the cache passes on nothing its prefixes cover, so the cancellation never goes upstream,
// while a subscription outside them ("marker") does.
TEST_CASE("the last-value cache keeps its subscription to everything against a raw "
          "unsubscription",
          "[forwarder][engine][lvc]") {
    zmq::context_t context;
    device_t device(forwarder_path, {"-f", "@tcp://127.0.0.1:*", "-b", "@tcp://127.0.0.1:*",
                                     "--last-value-cache", "--lvc-topic", "weather"});
    zmtp30_peer_t publisher(device.address("frontend"), "PUB");
    const auto prefix = publisher.next_subscription();
    REQUIRE(prefix);
    CHECK(prefix->second == std::string("\1weather", 8)); // told at once, with no subscriber
    zmtp30_peer_t raw(device.address("backend"), "SUB");
    raw.send_message(std::string("\0weather", 8));
    raw.send_message(std::string("\1marker", 7)); // reaches the publisher after the above
    // The cache may subscribe to its prefix once more on the way; never unsubscribe.
    std::optional<std::pair<std::uint8_t, std::string>> next;
    while ((next = publisher.next_subscription()) && next->second == std::string("\1weather", 8)) {
    }
    REQUIRE(next);
    CHECK(next->second == std::string("\1marker", 7));

    publisher.send_message("weather Paris 25C");
    zmq::socket_t late(context, zmq::socket_type::sub);
    late.set(zmq::sockopt::linger, 0);
    late.set(zmq::sockopt::subscribe, "weather");
    late.connect(device.address("backend"));
    CHECK(recv_multipart(late, 2s) == frames_t{"weather Paris 25C"});
    CHECK(device.stop() == 0);
}

TEST_CASE("the native forwarder tells a late 3.0 publisher every subscription at once",
          "[forwarder][engine]") {
    zmq::context_t context;
    device_t device(forwarder_path,
                    {"-f", "@tcp://127.0.0.1:*", "-b", "@tcp://127.0.0.1:*", "--engine", "native"});
    zmq::socket_t subscriber(context, zmq::socket_type::sub);
    subscriber.set(zmq::sockopt::linger, 0);
    connection_watch_t watch(context, subscriber);
    subscriber.set(zmq::sockopt::subscribe, "a");
    subscriber.set(zmq::sockopt::subscribe, "b");
    subscriber.connect(device.address("backend"));
    REQUIRE(watch.wait_handshakes(1));
    // The subscriptions reach the forwarder after the handshake; a publisher connecting
    // later gets both once they have. Connect until one does (each try is a new peer).
    std::set<std::string> seen;
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (seen.size() < 2 && std::chrono::steady_clock::now() < deadline) {
        seen.clear();
        zmtp30_peer_t publisher(device.address("frontend"), "PUB");
        while (auto frame = publisher.next_subscription(200ms))
            seen.insert(frame->second);
    }
    CHECK(seen == std::set<std::string>{"\1a", "\1b"});
    CHECK(device.stop() == 0);
}

TEST_CASE("the native forwarder counts what a slow subscriber misses at its mark",
          "[forwarder][engine]") {
    zmq::context_t context;
    device_t device(forwarder_path,
                    with_control({"-f", "@tcp://127.0.0.1:*", "-b", "@tcp://127.0.0.1:*", "--hwm",
                                  "10", "--engine", "native"}));
    const int count = 600; // 64 KiB each: 39 MB, far beyond what the kernel buffers hold
    auto publisher = connect_socket(context, zmq::socket_type::pub, {device.address("frontend")},
                                    [](zmq::socket_t& s) { s.set(zmq::sockopt::sndhwm, 1000); });
    auto slow = connect_socket(context, zmq::socket_type::sub, {device.address("backend")},
                               [](zmq::socket_t& s) {
                                   s.set(zmq::sockopt::rcvhwm, 1);
                                   s.set(zmq::sockopt::subscribe, "");
                               });
    REQUIRE(wait_for_probe([&] { send_multipart(publisher, {"probe"}); }, {{&slow, "probe"}}));
    const auto before = device_stats(context, device)["frontend_to_backend"];
    const std::string payload(64 * 1024, 'x');
    for (int i = 0; i < count; ++i)
        send_multipart(publisher, {payload});
    // The slow subscriber never reads again. Wait until the forwarder has taken them all.
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    std::uint64_t received = 0;
    while (received < before["received_messages"].as_uint64() + count &&
           std::chrono::steady_clock::now() < deadline)
        received =
            device_stats(context, device)["frontend_to_backend"]["received_messages"].as_uint64();
    REQUIRE(received == before["received_messages"].as_uint64() + count);
    const auto after = device_stats(context, device)["frontend_to_backend"];
    CHECK(after["dropped_messages"].as_uint64() > 0);
    CHECK(after["dropped_messages"].as_uint64() < std::uint64_t(count));
    CHECK(device.stop() == 0);
}

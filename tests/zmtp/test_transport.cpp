// The native transport under the ZMTP code: addresses (what the native engine takes and what it
// leaves to libzmq), listeners and connectors over tcp and ipc, and what connection_t does
// beyond messages: PONG for a peer's PING, and the count of messages still queued (what the
// high-water mark is measured against).
#include "zmtp/address.hpp"
#include "zmtp/connection.hpp"
#include "zmtp/connector.hpp"
#include "zmtp/listener.hpp"

#include "temp_dir.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <fcntl.h>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

using namespace zd::zmtp;
using namespace std::chrono;

namespace {

std::string endpoint_of(std::string_view address, bool for_bind) {
    const auto parsed = parse_address(address, for_bind);
    REQUIRE(parsed.address);
    return to_endpoint(*parsed.address);
}

std::string why_unsupported(std::string_view address, bool for_bind) {
    const auto parsed = parse_address(address, for_bind);
    REQUIRE_FALSE(parsed.address);
    return parsed.unsupported;
}

bool wait_for(int fd, short events, milliseconds timeout = 5s) {
    pollfd item{fd, events, 0};
    return ::poll(&item, 1, int(timeout.count())) == 1;
}

// Connects with the connector, waiting for an in-progress connect; returns the socket.
int connect_now(connector_t& connector) {
    int fd = connector.start_if_due(connector_t::clock::now());
    if (fd < 0 && connector.pending_fd() >= 0) {
        REQUIRE(wait_for(connector.pending_fd(), POLLOUT));
        fd = connector.on_writable(connector_t::clock::now());
    }
    return fd;
}

int accept_now(listener_t& listener) {
    REQUIRE(wait_for(listener.fd(), POLLIN));
    return listener.accept();
}

bool file_exists(const std::string& path) {
    struct stat info {};
    return ::stat(path.c_str(), &info) == 0;
}

} // namespace

TEST_CASE("the native transport takes tcp with numeric hosts and ipc paths", "[zmtp][address]") {
    CHECK(endpoint_of("tcp://127.0.0.1:5555", false) == "tcp://127.0.0.1:5555");
    CHECK(endpoint_of("tcp://*:5555", true) == "tcp://0.0.0.0:5555");
    CHECK(endpoint_of("tcp://127.0.0.1:*", true) == "tcp://127.0.0.1:0");
    CHECK(endpoint_of("tcp://localhost:80", false) == "tcp://127.0.0.1:80");
    CHECK(endpoint_of("tcp://[::1]:5555", false) == "tcp://[::1]:5555");
    CHECK(endpoint_of("ipc:///tmp/x.ipc", true) == "ipc:///tmp/x.ipc");
    CHECK(endpoint_of("ipc://@zd-abstract", false) == "ipc://@zd-abstract");
}

TEST_CASE("the native transport names what it leaves to libzmq", "[zmtp][address]") {
    CHECK(why_unsupported("tcp://example.com:5555", false).find("DNS") != std::string::npos);
    CHECK(why_unsupported("tcp://eth0:5555", true).find("interface") != std::string::npos);
    CHECK(why_unsupported("tcp://127.0.0.1:0;127.0.0.1:5555", false).find("source") !=
          std::string::npos);
    CHECK(why_unsupported("tcp://127.0.0.1:*", false).find("port") != std::string::npos);
    CHECK(why_unsupported("tcp://*:5555", false).find("'*'") != std::string::npos);
    CHECK(why_unsupported("ipc://*", true).find("ipc path") != std::string::npos);
    CHECK(why_unsupported("ipc://" + std::string(200, 'x'), true).find("longer") !=
          std::string::npos);
    CHECK(why_unsupported("inproc://x", true).find("inproc") != std::string::npos);
    CHECK(why_unsupported("tcp://[::1:5555", false).find("no port") == std::string::npos);
}

TEST_CASE("a tcp listener resolves its wildcard port and a connector reaches it",
          "[zmtp][transport]") {
    listener_t listener(*parse_address("tcp://127.0.0.1:*", true).address);
    REQUIRE(listener.endpoint().starts_with("tcp://127.0.0.1:"));
    CHECK(listener.endpoint() != "tcp://127.0.0.1:0");
    connector_t connector(*parse_address(listener.endpoint(), false).address, 100ms);
    const int ours = connect_now(connector);
    REQUIRE(ours >= 0);
    CHECK(connector.connected());
    const int theirs = accept_now(listener);
    REQUIRE(theirs >= 0);
    REQUIRE(::send(ours, "hello", 5, 0) == 5);
    char buffer[5];
    REQUIRE(wait_for(theirs, POLLIN));
    CHECK(::recv(theirs, buffer, 5, 0) == 5);
    CHECK(std::string(buffer, 5) == "hello");
    ::close(ours);
    ::close(theirs);
}

TEST_CASE("an ipc listener replaces a stale file and removes its own", "[zmtp][transport]") {
    zd::test::temp_dir_t dir;
    const std::string path = dir.path() + "/stale.ipc";
    { // a file left behind, as by a device that was killed
        const int fd = ::open(path.c_str(), O_CREAT | O_WRONLY, 0600);
        REQUIRE(fd >= 0);
        ::close(fd);
    }
    {
        listener_t listener(*parse_address("ipc://" + path, true).address);
        CHECK(listener.endpoint() == "ipc://" + path);
        connector_t connector(*parse_address("ipc://" + path, false).address, 100ms);
        const int ours = connect_now(connector);
        REQUIRE(ours >= 0);
        const int theirs = accept_now(listener);
        REQUIRE(theirs >= 0);
        ::close(ours);
        ::close(theirs);
        CHECK(file_exists(path));
    }
    CHECK_FALSE(file_exists(path));
}

TEST_CASE("a listener refuses an address in use, naming it", "[zmtp][transport]") {
    listener_t first(*parse_address("tcp://127.0.0.1:*", true).address);
    try {
        listener_t second(*parse_address(first.endpoint(), true).address);
        FAIL("bound twice");
    } catch (const std::runtime_error& error) {
        CHECK_THAT(error.what(), Catch::Contains(first.endpoint()) && Catch::Contains("in use"));
    }
}

TEST_CASE("a connector that is refused waits an interval, then tries again", "[zmtp][transport]") {
    zd::test::temp_dir_t dir;
    const std::string path = dir.path() + "/later.ipc";
    connector_t connector(*parse_address("ipc://" + path, false).address, 50ms);
    const auto before = connector_t::clock::now();
    CHECK(connector.start_if_due(before) < 0); // nobody listens yet
    CHECK_FALSE(connector.connected());
    CHECK_THAT(connector.last_error(), Catch::Contains("connect"));
    CHECK(connector.next_attempt() >= before + 50ms);
    CHECK(connector.start_if_due(before) < 0); // not due: no attempt
    listener_t listener(*parse_address("ipc://" + path, true).address);
    const int fd = connector.start_if_due(connector.next_attempt());
    REQUIRE(fd >= 0);
    CHECK(connector.connected());
    CHECK(connector.next_attempt() == connector_t::clock::time_point::max());
    connector.connection_lost(connector.next_attempt() - 1h);
    CHECK_FALSE(connector.connected());
    ::close(fd);
}

namespace {

// Two connection_t over a socketpair, handshaken: a PULL reading, a PUSH writing.
struct pair_t {
    int fds[2];
    std::unique_ptr<connection_t> pull, push;

    explicit pair_t(int buffer_bytes = 0) {
        REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
        if (buffer_bytes > 0)
            for (int fd : fds) {
                ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffer_bytes, sizeof buffer_bytes);
                ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer_bytes, sizeof buffer_bytes);
            }
        pull = std::make_unique<connection_t>(fds[0], "PULL");
        push = std::make_unique<connection_t>(fds[1], "PUSH");
        for (int turn = 0; turn < 10 && !(pull->ready() && push->ready()); ++turn) {
            REQUIRE(push->on_writable());
            REQUIRE(pull->on_writable());
            if (wait_for(pull->fd(), POLLIN, 100ms)) REQUIRE(pull->on_readable());
            if (wait_for(push->fd(), POLLIN, 100ms)) REQUIRE(push->on_readable());
        }
        REQUIRE(pull->ready());
        REQUIRE(push->ready());
    }
};

} // namespace

TEST_CASE("connection_t answers a PING with a PONG carrying its context", "[zmtp][heartbeat]") {
    pair_t pair;
    // The PUSH side's raw socket sends a PING by hand: TTL 0x0010, context "ctx-42".
    std::string ping;
    append_frame(ping, flag_command, make_command("PING", std::string("\x00\x10", 2) + "ctx-42"));
    REQUIRE(::send(pair.push->fd(), ping.data(), ping.size(), 0) == ssize_t(ping.size()));
    REQUIRE(wait_for(pair.pull->fd(), POLLIN));
    REQUIRE(pair.pull->on_readable());
    std::vector<std::string_view> frames;
    CHECK_FALSE(pair.pull->next_message(frames)); // a command, not a message
    CHECK(pair.pull->ignored_commands() == 0);
    REQUIRE(pair.pull->wants_write());
    REQUIRE(pair.pull->on_writable());

    char buffer[64];
    REQUIRE(wait_for(pair.push->fd(), POLLIN));
    const ssize_t got = ::recv(pair.push->fd(), buffer, sizeof buffer, 0);
    std::string expected;
    append_frame(expected, flag_command, make_command("PONG", "ctx-42"));
    CHECK(std::string(buffer, std::size_t(std::max<ssize_t>(got, 0))) == expected);
}

TEST_CASE("connection_t counts the messages queued until the socket has taken them",
          "[zmtp][hwm]") {
    pair_t pair(4096);
    const std::string body(1000, 'x');
    for (int i = 0; i < 200; ++i)
        pair.push->queue_message({body});
    CHECK(pair.push->queued_messages() == 200);
    REQUIRE(pair.push->on_writable()); // the socket takes what fits, the rest waits
    const std::size_t waiting = pair.push->queued_messages();
    CHECK(waiting > 0);
    CHECK(waiting < 200);

    // Reading every message on the other side lets the rest through.
    int received = 0;
    std::vector<std::string_view> frames;
    const auto deadline = steady_clock::now() + 10s;
    while (received < 200 && steady_clock::now() < deadline) {
        if (pair.push->wants_write()) REQUIRE(pair.push->on_writable());
        if (wait_for(pair.pull->fd(), POLLIN, 100ms)) REQUIRE(pair.pull->on_readable());
        while (pair.pull->next_message(frames)) {
            REQUIRE(frames.size() == 1);
            CHECK(frames[0] == body);
            ++received;
        }
    }
    CHECK(received == 200);
    CHECK(pair.push->queued_messages() == 0);
}

TEST_CASE("connection_t hands other commands to its handler and sends queued commands",
          "[zmtp][command]") {
    pair_t pair;
    std::vector<std::string> seen;
    pair.pull->set_command_handler([&](std::string_view name, std::string_view data) {
        seen.push_back(std::string(name) + ":" + std::string(data));
    });
    pair.push->queue_command("SUBSCRIBE", "news");
    pair.push->queue_message({"between"});
    pair.push->queue_command("CANCEL", "news");
    CHECK(pair.push->queued_messages() == 1); // commands are not messages
    REQUIRE(pair.push->on_writable());

    std::vector<std::string_view> frames;
    std::vector<std::string> messages;
    const auto deadline = steady_clock::now() + 5s;
    while (seen.size() < 2 && steady_clock::now() < deadline) {
        if (wait_for(pair.pull->fd(), POLLIN, 100ms)) REQUIRE(pair.pull->on_readable());
        while (pair.pull->next_message(frames))
            messages.emplace_back(frames.at(0));
    }
    CHECK(seen == std::vector<std::string>{"SUBSCRIBE:news", "CANCEL:news"});
    CHECK(messages == std::vector<std::string>{"between"});
    CHECK(pair.pull->ignored_commands() == 0);
}

// CURVE per endpoint (base/curve_keys.hpp): a socket serves where it binds and is a client
// where it connects, the server side refuses whom the ZAP handler refuses, and a plain-text
// peer gets nothing through. Real sockets over loopback, with a small ZAP handler of the
// test's own (the product's is lib/security's).
#include "base/socket_options.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <cstring>
#include <set>
#include <thread>
#include <zmq.hpp>
#include <zmq_addon.hpp>

using namespace zd;

namespace {

struct key_pair_t {
    std::string public_key, secret_key;
    key_pair_t() {
        char public_text[41], secret_text[41];
        REQUIRE(zmq_curve_keypair(public_text, secret_text) == 0);
        public_key = public_text;
        secret_key = secret_text;
    }
};

// Answers ZAP requests (RFC 27) on inproc://zeromq.zap.01: 200 for a CURVE key in allowed,
// with the key as User-Id, 400 otherwise; counts the requests.
class test_zap_handler_t {
public:
    test_zap_handler_t(zmq::context_t& context, std::set<std::string> allowed)
        : allowed_(std::move(allowed)), socket_(context, zmq::socket_type::rep) {
        socket_.bind("inproc://zeromq.zap.01");
        socket_.set(zmq::sockopt::rcvtimeo, 50);
        thread_ = std::thread([this] { serve(); });
    }
    ~test_zap_handler_t() {
        stop_ = true;
        thread_.join();
    }
    int requests() const { return requests_; }

private:
    void serve() {
        while (!stop_) {
            std::vector<zmq::message_t> request;
            if (!zmq::recv_multipart(socket_, std::back_inserter(request))) continue;
            ++requests_;
            std::string key;
            if (request.size() >= 7 && request[5].to_string() == "CURVE" &&
                request[6].size() == 32) {
                char text[41];
                zmq_z85_encode(text, request[6].data<std::uint8_t>(), 32);
                key = text;
            }
            const bool ok = allowed_.count(key) > 0;
            std::vector<zmq::message_t> reply;
            reply.emplace_back(std::string("1.0"));
            reply.emplace_back(request.size() > 1 ? request[1].to_string() : std::string());
            reply.emplace_back(std::string(ok ? "200" : "400"));
            reply.emplace_back(std::string(ok ? "OK" : "unknown key"));
            reply.emplace_back(ok ? key : std::string());
            reply.emplace_back();
            zmq::send_multipart(socket_, reply);
        }
    }

    std::set<std::string> allowed_;
    zmq::socket_t socket_;
    std::atomic<bool> stop_{false};
    std::atomic<int> requests_{0};
    std::thread thread_;
};

socket_options_t curve_options(const key_pair_t& ours, std::string server_key = {}) {
    socket_options_t options;
    options.linger_ms = 0;
    options.curve = curve_keys_t{ours.public_key, ours.secret_key, std::move(server_key)};
    options.zap_domain = "test";
    return options;
}

std::optional<std::string> receive_text(zmq::socket_t& socket, int timeout_ms) {
    socket.set(zmq::sockopt::rcvtimeo, timeout_ms);
    zmq::message_t message;
    if (!socket.recv(message)) return std::nullopt;
    return message.to_string();
}

// Waits for the socket's first handshake outcome, from a monitor: true if it succeeded.
bool handshake_succeeds(zmq::context_t& context, zmq::socket_t& socket, const char* name) {
    const std::string address = std::string("inproc://monitor-") + name;
    zmq_socket_monitor(socket.handle(), address.c_str(),
                       ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                           ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                           ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL);
    zmq::socket_t monitor(context, zmq::socket_type::pair);
    monitor.set(zmq::sockopt::rcvtimeo, 5000);
    monitor.connect(address);
    zmq::message_t event, endpoint;
    REQUIRE(monitor.recv(event));
    REQUIRE(monitor.recv(endpoint));
    std::uint16_t id;
    std::memcpy(&id, event.data(), sizeof id);
    zmq_socket_monitor(socket.handle(), nullptr, 0);
    return id == ZMQ_EVENT_HANDSHAKE_SUCCEEDED;
}

} // namespace

TEST_CASE("curve: a bound endpoint serves, a connected one is a client of the server key, and "
          "one socket can be both",
          "[curve]") {
    zmq::context_t context;
    const key_pair_t hub, edge, client;
    test_zap_handler_t zap(context, {edge.public_key, client.public_key});

    // The edge serves its clients and is itself a client of the hub: one DEALER, both roles.
    zmq::socket_t hub_socket(context, zmq::socket_type::dealer);
    curve_options(hub).apply_to(hub_socket);
    const auto hub_at = attach(hub_socket, parse_endpoints("@tcp://127.0.0.1:*", attach_mode::bind),
                               curve_options(hub));
    zmq::socket_t edge_socket(context, zmq::socket_type::dealer);
    const auto edge_options = curve_options(edge, hub.public_key);
    edge_options.apply_to(edge_socket);
    auto endpoints = parse_endpoints("@tcp://127.0.0.1:*", attach_mode::bind);
    endpoints.push_back({attach_mode::connect, hub_at[0].address});
    const auto edge_at = attach(edge_socket, endpoints, edge_options);
    zmq::socket_t client_socket(context, zmq::socket_type::dealer);
    const auto client_options = curve_options(client, edge.public_key);
    client_options.apply_to(client_socket);
    attach(client_socket, {{attach_mode::connect, edge_at[0].address}}, client_options);

    client_socket.send(zmq::str_buffer("to the edge"));
    CHECK(receive_text(edge_socket, 5000) == "to the edge");
    edge_socket.send(zmq::str_buffer("to the hub"), zmq::send_flags::none);
    // The edge's DEALER round-robins over its two peers: one of these lands at each.
    edge_socket.send(zmq::str_buffer("to the hub"), zmq::send_flags::none);
    CHECK(receive_text(hub_socket, 5000) == "to the hub");
    CHECK(zap.requests() >= 2); // the edge's server side and the hub's
}

TEST_CASE("curve: an unknown key and a plain-text peer get nothing through a CURVE server",
          "[curve]") {
    zmq::context_t context;
    const key_pair_t server, stranger;
    test_zap_handler_t zap(context, {});
    zmq::socket_t server_socket(context, zmq::socket_type::pull);
    const auto options = curve_options(server);
    options.apply_to(server_socket);
    const auto at =
        attach(server_socket, parse_endpoints("@tcp://127.0.0.1:*", attach_mode::bind), options);

    SECTION("unknown key") {
        zmq::socket_t push(context, zmq::socket_type::push);
        const auto theirs = curve_options(stranger, server.public_key);
        theirs.apply_to(push);
        attach(push, {{attach_mode::connect, at[0].address}}, theirs);
        CHECK_FALSE(handshake_succeeds(context, push, "stranger"));
        (void)push.send(zmq::str_buffer("let me in"), zmq::send_flags::dontwait);
    }
    SECTION("plain text") {
        zmq::socket_t push(context, zmq::socket_type::push);
        push.set(zmq::sockopt::linger, 0);
        push.connect(at[0].address);
        CHECK_FALSE(handshake_succeeds(context, push, "plain"));
        (void)push.send(zmq::str_buffer("let me in"), zmq::send_flags::dontwait);
    }
    CHECK_FALSE(receive_text(server_socket, 200)); // refused above: nothing can arrive
}

TEST_CASE("curve: connecting without the server's key is refused before any socket connects",
          "[curve]") {
    zmq::context_t context;
    const key_pair_t ours;
    zmq::socket_t socket(context, zmq::socket_type::dealer);
    const auto options = curve_options(ours);
    CHECK_THROWS_AS(attach(socket, {{attach_mode::connect, "tcp://127.0.0.1:1"}}, options),
                    std::invalid_argument);
}

// FACTS.md: libzmq 4.3.4 lets any key into a CURVE server when no ZAP handler is bound,
// unless ZMQ_ZAP_ENFORCE_DOMAIN is set, which set_curve_role does.
TEST_CASE("curve: with no ZAP handler bound, a CURVE server lets nobody in", "[curve]") {
    zmq::context_t context;
    const key_pair_t server, stranger;
    zmq::socket_t server_socket(context, zmq::socket_type::pull);
    const auto options = curve_options(server);
    options.apply_to(server_socket);
    const auto at = attach(server_socket, parse_endpoints("@tcp://127.0.0.1:*", attach_mode::bind),
                           options);
    zmq::socket_t push(context, zmq::socket_type::push);
    const auto theirs = curve_options(stranger, server.public_key);
    theirs.apply_to(push);
    attach(push, {{attach_mode::connect, at[0].address}}, theirs);
    CHECK_FALSE(handshake_succeeds(context, push, "no-handler"));
    (void)push.send(zmq::str_buffer("let me in"), zmq::send_flags::dontwait);
    CHECK_FALSE(receive_text(server_socket, 200));
}

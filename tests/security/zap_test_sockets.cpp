#include "zap_test_sockets.hpp"

#include "security/zap_handler.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <cstring>

namespace zap_test {

namespace {

constexpr int handshake_events =
    ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
    ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH;

std::string next_monitor_address() {
    static std::atomic<int> count{0};
    return "inproc://zap-test-monitor-" + std::to_string(++count);
}

void queue_hello(zmq::socket_t& client) {
    // Connected PUSH: the message waits in the pipe until the handshake is done.
    REQUIRE(client.send(zmq::str_buffer("hello"), zmq::send_flags::dontwait));
}

} // namespace

curve_keys_t curve_keys_t::generate() {
    char public_key[41], secret_key[41];
    REQUIRE(zmq_curve_keypair(public_key, secret_key) == 0);
    return {public_key, secret_key};
}

server_t::server_t(zmq::context_t& context, mechanism_t mechanism, const curve_keys_t& keys,
                   bool enforce)
    : socket_(context, zmq::socket_type::pull), monitor_(context, zmq::socket_type::pair) {
    socket_.set(zmq::sockopt::linger, 0);
    monitor_.set(zmq::sockopt::linger, 0);
    if (mechanism == mechanism_t::curve) {
        socket_.set(zmq::sockopt::curve_server, true);
        socket_.set(zmq::sockopt::curve_secretkey, keys.secret_key);
    }
    if (enforce)
        zd::security::require_zap(socket_, "test");
    else
        socket_.set(zmq::sockopt::zap_domain, "test");
    const std::string monitor_address = next_monitor_address();
    REQUIRE(zmq_socket_monitor(socket_.handle(), monitor_address.c_str(), handshake_events) == 0);
    monitor_.connect(monitor_address);
    socket_.bind("tcp://127.0.0.1:*");
    endpoint_ = socket_.get(zmq::sockopt::last_endpoint);
}

server_t::~server_t() {
    zmq_socket_monitor(socket_.handle(), nullptr, 0); // stop it before its reader goes
}

int server_t::next_handshake_event(std::chrono::milliseconds timeout) {
    zmq::pollitem_t item{monitor_.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, timeout) == 0) return 0;
    zmq::message_t event, address;
    REQUIRE(monitor_.recv(event));
    REQUIRE(monitor_.recv(address));
    std::uint16_t number;
    std::memcpy(&number, event.data(), sizeof number);
    return number;
}

int server_t::wait_for_refusal(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return 0;
        const int event = next_handshake_event(left);
        if (event == 0 || is_refusal(event)) return event;
    }
}

std::optional<zmq::message_t> server_t::receive(std::chrono::milliseconds timeout) {
    zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, timeout) == 0) return std::nullopt;
    zmq::message_t message;
    REQUIRE(socket_.recv(message, zmq::recv_flags::dontwait));
    return message;
}

zmq::socket_t curve_client(zmq::context_t& context, const std::string& endpoint,
                           const std::string& server_public_key, const curve_keys_t& keys) {
    zmq::socket_t client(context, zmq::socket_type::push);
    client.set(zmq::sockopt::linger, 0);
    client.set(zmq::sockopt::curve_serverkey, server_public_key);
    client.set(zmq::sockopt::curve_publickey, keys.public_key);
    client.set(zmq::sockopt::curve_secretkey, keys.secret_key);
    client.connect(endpoint);
    queue_hello(client);
    return client;
}

zmq::socket_t plain_client(zmq::context_t& context, const std::string& endpoint) {
    zmq::socket_t client(context, zmq::socket_type::push);
    client.set(zmq::sockopt::linger, 0);
    client.connect(endpoint);
    queue_hello(client);
    return client;
}

std::string property(zmq::message_t& message, const char* name) {
    const char* value = zmq_msg_gets(message.handle(), name);
    return value == nullptr ? std::string() : std::string(value);
}

bool is_refusal(int event) {
    return event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL ||
           event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL || event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH;
}

} // namespace zap_test

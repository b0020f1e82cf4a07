// What the ZAP handler tests share: CURVE key pairs, a server socket on tcp loopback whose
// handshakes are watched through its libzmq monitor (so a refusal is waited for as an event,
// never slept on), and CURVE or plain-text clients.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <zmq.hpp>

namespace zap_test {

using namespace std::chrono_literals;

struct curve_keys_t {
    std::string public_key; // Z85, 40 characters
    std::string secret_key;
    static curve_keys_t generate();
};

enum class mechanism_t { null, curve };

// A PULL server bound to tcp://127.0.0.1:*, requiring ZAP (require_zap, domain "test") unless
// enforce is false (then only the domain is set, as most applications do).
class server_t {
public:
    server_t(zmq::context_t& context, mechanism_t mechanism, const curve_keys_t& keys,
             bool enforce = true);
    ~server_t();

    const std::string& endpoint() const { return endpoint_; }

    // The next handshake event (ZMQ_EVENT_HANDSHAKE_*), or 0 if none came within timeout.
    int next_handshake_event(std::chrono::milliseconds timeout = 5s);
    // Waits for a failed handshake (any of the three kinds); the event, or 0 at the deadline.
    int wait_for_refusal(std::chrono::milliseconds timeout = 5s);
    // A message within timeout, or nothing.
    std::optional<zmq::message_t> receive(std::chrono::milliseconds timeout);

private:
    zmq::socket_t socket_;
    zmq::socket_t monitor_;
    std::string endpoint_;
};

// A PUSH client of a CURVE server with key pair `keys`, connected, with "hello" queued.
zmq::socket_t curve_client(zmq::context_t& context, const std::string& endpoint,
                           const std::string& server_public_key, const curve_keys_t& keys);
// A plain-text (NULL) PUSH client, connected, with "hello" queued.
zmq::socket_t plain_client(zmq::context_t& context, const std::string& endpoint);

// A message property (zmq_msg_gets), or empty if the message has none by that name.
std::string property(zmq::message_t& message, const char* name);

bool is_refusal(int event);

} // namespace zap_test

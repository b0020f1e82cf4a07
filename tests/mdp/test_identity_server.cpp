// The broker counts messages per authenticated peer: a real broker_server_t whose ROUTER
// serves CURVE (keys and ZAP domain from socket_options_t, as --curve-* set them), a real ZAP
// handler that knows a client's and a worker's keys and names, and both talking MDP over tcp.
//
//   DEALER client (CURVE, "app-1") --REQUEST echo--> [ROUTER, CURVE server] <--READY, REPLY--
//        <------------- REPLY ------------------     broker_server_t        DEALER worker
//   REQ --STATS--> [control] -> {"identities": {"listed": [app-1: 1, worker-w: 2]}}  ("worker-w")
//
// and a broker without CURVE lists nobody.
#include "base/stop_signal.hpp"
#include "json_reader.hpp"
#include "mdp/broker_server.hpp"
#include "security/zap_handler.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

using namespace std::chrono_literals;

namespace {

struct key_pair_t {
    std::string public_key, secret_key;
    static key_pair_t generate() {
        char public_key[41], secret_key[41];
        REQUIRE(zmq_curve_keypair(public_key, secret_key) == 0);
        return {public_key, secret_key};
    }
};

std::vector<std::string> receive(zmq::socket_t& socket, std::chrono::milliseconds timeout) {
    zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
    REQUIRE(zmq::poll(&item, 1, timeout) == 1);
    std::vector<std::string> frames;
    do {
        zmq::message_t frame;
        REQUIRE(socket.recv(frame, zmq::recv_flags::dontwait));
        frames.push_back(frame.to_string());
    } while (socket.get(zmq::sockopt::rcvmore));
    return frames;
}

void send(zmq::socket_t& socket, const std::vector<std::string>& frames) {
    for (std::size_t i = 0; i < frames.size(); ++i)
        REQUIRE(socket.send(zmq::buffer(frames[i]), i + 1 < frames.size() ? zmq::send_flags::sndmore
                                                                          : zmq::send_flags::none));
}

// A broker serving in a thread of its own until TERMINATE on its control socket.
class running_broker_t {
public:
    running_broker_t(zmq::context_t& context, const zd::socket_options_t& options,
                     const std::string& control)
        : context_(context), control_(control) {
        server_.emplace(context, zd::parse_endpoints("@tcp://127.0.0.1:*", zd::attach_mode::bind),
                        zd::parse_endpoints("@" + control, zd::attach_mode::bind),
                        zd::mdp::broker_socket_options_t::all(options), zd::mdp::broker_config_t{});
        endpoint_ = server_->endpoints().front().address;
        thread_ = std::thread([this] { server_->run(stop_); });
    }
    ~running_broker_t() {
        if (thread_.joinable()) terminate();
    }
    const std::string& endpoint() const { return endpoint_; }
    zd::test::json_value_t stats() { return zd::test::parse_json(ask("STATS")); }
    void terminate() {
        ask("TERMINATE");
        thread_.join();
    }

private:
    std::string ask(const std::string& command) {
        zmq::socket_t request(context_, zmq::socket_type::req);
        request.set(zmq::sockopt::linger, 0);
        request.connect(control_);
        send(request, {command});
        return receive(request, 5s).front();
    }

    zmq::context_t& context_;
    zd::stop_signal_t stop_;
    std::optional<zd::mdp::broker_server_t> server_;
    std::thread thread_;
    std::string control_, endpoint_;
};

zmq::socket_t dealer(zmq::context_t& context, const std::string& endpoint, const key_pair_t* keys,
                     const std::string& server_key) {
    zmq::socket_t socket(context, zmq::socket_type::dealer);
    socket.set(zmq::sockopt::linger, 0);
    if (keys) {
        socket.set(zmq::sockopt::curve_serverkey, server_key);
        socket.set(zmq::sockopt::curve_publickey, keys->public_key);
        socket.set(zmq::sockopt::curve_secretkey, keys->secret_key);
    }
    socket.connect(endpoint);
    return socket;
}

// One request through the broker: the worker says READY, the client asks, the worker
// answers, the client gets the answer.
void echo_once(zmq::socket_t& client, zmq::socket_t& worker) {
    send(worker, {"", "MDPW01", "\x01", "echo"});
    send(client, {"", "MDPC01", "echo", "hello"});
    const auto request = receive(worker, 5s);
    REQUIRE(request.size() == 6);
    CHECK(request[2] == "\x02");
    send(worker, {"", "MDPW01", "\x03", request[3], "", request[5]});
    const auto reply = receive(client, 5s);
    CHECK(reply == std::vector<std::string>{"", "MDPC01", "echo", "hello"});
}

} // namespace

TEST_CASE("a CURVE broker counts messages per client and worker identity, with names",
          "[broker][identity][security]") {
    zmq::context_t context;
    const auto server_keys = key_pair_t::generate();
    const auto client_keys = key_pair_t::generate();
    const auto worker_keys = key_pair_t::generate();
    zd::security::zap_policy_config_t policy;
    policy.curve_allowed.push_back({client_keys.public_key, "app-1"});
    policy.curve_allowed.push_back({worker_keys.public_key, "worker-w"});
    zd::security::zap_handler_t zap(context, policy);
    zd::socket_options_t options;
    options.curve = zd::curve_keys_t{server_keys.public_key, server_keys.secret_key, ""};
    options.zap_domain = "broker";
    running_broker_t broker(context, options, "inproc://broker-control");

    auto client = dealer(context, broker.endpoint(), &client_keys, server_keys.public_key);
    auto worker = dealer(context, broker.endpoint(), &worker_keys, server_keys.public_key);
    echo_once(client, worker);

    const auto identities = broker.stats()["identities"];
    const auto& listed = identities["listed"].items;
    REQUIRE(listed.size() == 2);
    for (const auto& row : listed) {
        if (row["user_id"].text == client_keys.public_key) {
            CHECK(row["name"].text == "app-1");
            CHECK(row["messages"].as_uint64() == 1); // the request
        } else {
            CHECK(row["user_id"].text == worker_keys.public_key);
            CHECK(row["name"].text == "worker-w");
            CHECK(row["messages"].as_uint64() >= 2); // READY, the reply (and heartbeats)
        }
    }
    CHECK(identities["unlisted_messages"].as_uint64() == 0);
}

TEST_CASE("a plain broker lists no identities", "[broker][identity]") {
    zmq::context_t context;
    running_broker_t broker(context, {}, "inproc://broker-control");
    auto client = dealer(context, broker.endpoint(), nullptr, "");
    auto worker = dealer(context, broker.endpoint(), nullptr, "");
    echo_once(client, worker);
    CHECK(broker.stats()["identities"]["listed"].items.empty());
}

// The journal stores who produced each record: a real journal_server_t whose frontend serves
// CURVE (keys and ZAP domain from socket_options_t, as the devices' --curve-* flags set
// them), a real ZAP handler in the same context that knows the client's key and name, and
// real CURVE and plain DEALER producers over tcp.
//
//   DEALER (CURVE, key "hub-a") --PUB p1 1 1--> [frontend ROUTER, CURVE server] journal_server_t
//        <------------- ACK p1 1 ------------    |  ZAP handler: allowed {key: "hub-a"}
//   REQ --STATS--> [control] -> {"identities": {"listed": [{user_id, name, messages}]}}
//                                              DIR/*.seg: record with identity = key, name
//
// and the same journal without CURVE stores no identity and lists none.
#include "base/stop_signal.hpp"
#include "journal/recovery.hpp"
#include "journal/server/journal_server.hpp"
#include "json_reader.hpp"
#include "security/zap_handler.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

using namespace zd::journal;
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

// One whole message, or nothing within the timeout.
std::optional<std::vector<std::string>> receive(zmq::socket_t& socket,
                                                std::chrono::milliseconds timeout) {
    zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, timeout) == 0) return std::nullopt;
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

// A journal serving in a thread of its own until stopped with TERMINATE on its control socket.
class running_journal_t {
public:
    running_journal_t(zmq::context_t& context, const std::string& dir,
                      const zd::socket_options_t& options, const std::string& control)
        : context_(context) {
        journal_endpoints_t endpoints;
        endpoints.frontend = zd::parse_endpoints("@tcp://127.0.0.1:*", zd::attach_mode::bind);
        endpoints.backend = zd::parse_endpoints("@tcp://127.0.0.1:*", zd::attach_mode::bind);
        endpoints.control = zd::parse_endpoints("@" + control, zd::attach_mode::bind);
        journal_config_t config;
        config.log.dir = dir;
        server_.emplace(context, endpoints,
                        journal_socket_options_t{options, options, options, options}, config);
        frontend_ = server_->endpoints().frontend.front().address;
        thread_ = std::thread([this] { server_->run(stop_); });
        control_ = control;
    }
    ~running_journal_t() {
        if (thread_.joinable()) terminate();
    }
    const std::string& frontend() const { return frontend_; }

    zd::test::json_value_t stats() { return zd::test::parse_json(ask("STATS")); }
    void terminate() {
        ask("TERMINATE");
        thread_.join();
        server_.reset();
    }

private:
    std::string ask(const std::string& command) {
        zmq::socket_t request(context_, zmq::socket_type::req);
        request.set(zmq::sockopt::linger, 0);
        request.connect(control_);
        send(request, {command});
        auto reply = receive(request, 5s);
        REQUIRE(reply);
        return reply->front();
    }

    zmq::context_t& context_;
    zd::stop_signal_t stop_;
    std::optional<journal_server_t> server_;
    std::thread thread_;
    std::string frontend_, control_;
};

zmq::socket_t producer(zmq::context_t& context, const std::string& endpoint,
                       const key_pair_t* client, const std::string& server_key) {
    zmq::socket_t socket(context, zmq::socket_type::dealer);
    socket.set(zmq::sockopt::linger, 0);
    if (client) {
        socket.set(zmq::sockopt::curve_serverkey, server_key);
        socket.set(zmq::sockopt::curve_publickey, client->public_key);
        socket.set(zmq::sockopt::curve_secretkey, client->secret_key);
    }
    socket.connect(endpoint);
    return socket;
}

// Publishes seq 1..count as producer p1 and waits until all are acknowledged.
void publish(zmq::socket_t& socket, int count) {
    for (int seq = 1; seq <= count; ++seq)
        send(socket, {"PUB p1 " + std::to_string(seq) + " 1", "message " + std::to_string(seq)});
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    for (;;) {
        REQUIRE(std::chrono::steady_clock::now() < deadline);
        const auto reply = receive(socket, 1s);
        if (reply && reply->front() == "ACK p1 " + std::to_string(count)) return;
    }
}

struct stored_t {
    std::string user_id, name, producer;
};
std::vector<stored_t> stored_records(const std::string& dir) {
    std::vector<stored_t> records;
    const auto scan = scan_directory(
        dir, max_record_body, [&](std::size_t, const record_view_t& record, std::uint64_t) {
            records.push_back({std::string(record.meta.identity.user_id),
                               std::string(record.meta.identity.name),
                               std::string(record.meta.producer_id)});
        });
    REQUIRE(scan.problem.kind == problem_kind::none);
    return records;
}

} // namespace

TEST_CASE("a CURVE frontend stores each record's sender key and certificate name, and STATS "
          "counts messages per identity",
          "[journal][identity][security]") {
    zd::test::temp_dir_t temp;
    zmq::context_t context;
    const auto server_keys = key_pair_t::generate();
    const auto client_keys = key_pair_t::generate();
    zd::security::zap_policy_config_t policy;
    policy.curve_allowed.push_back({client_keys.public_key, "hub-a"});
    zd::security::zap_handler_t zap(context, policy);
    zd::socket_options_t options;
    options.curve = zd::curve_keys_t{server_keys.public_key, server_keys.secret_key, ""};
    options.zap_domain = "journal";
    running_journal_t journal(context, temp.file("journal"), options, "inproc://journal-control");

    auto client = producer(context, journal.frontend(), &client_keys, server_keys.public_key);
    publish(client, 3);

    const auto stats = journal.stats();
    const auto& identities = stats["identities"];
    REQUIRE(identities["listed"].items.size() == 1);
    const auto& row = identities["listed"].items[0];
    CHECK(row["user_id"].text == client_keys.public_key);
    CHECK(row["name"].text == "hub-a");
    CHECK(row["messages"].as_uint64() == 3);
    CHECK(identities["unlisted_messages"].as_uint64() == 0);
    journal.terminate();

    const auto records = stored_records(temp.file("journal"));
    REQUIRE(records.size() == 3);
    for (const auto& record : records) {
        CHECK(record.user_id == client_keys.public_key);
        CHECK(record.name == "hub-a");
        CHECK(record.producer == "p1");
    }
}

TEST_CASE("a plain frontend stores no identity and lists none", "[journal][identity]") {
    zd::test::temp_dir_t temp;
    zmq::context_t context;
    running_journal_t journal(context, temp.file("journal"), {}, "inproc://journal-control");
    auto client = producer(context, journal.frontend(), nullptr, "");
    publish(client, 2);
    const auto stats = journal.stats();
    CHECK(stats["identities"]["listed"].items.empty());
    journal.terminate();
    const auto records = stored_records(temp.file("journal"));
    REQUIRE(records.size() == 2);
    for (const auto& record : records) {
        CHECK(record.user_id.empty());
        CHECK(record.name.empty());
    }
}

// peer_identity: the User-Id and name of a received message, and socket_authenticates, with
// real sockets. A tiny ZAP handler in the test answers 200 with a user id and a `name`
// (lib/security has the real one; base must not depend on it).
//
//   PUSH (CURVE client) ---> [PULL, CURVE server, ZAP domain "test"]  <-- inproc ZAP handler
#include "base/peer_identity.hpp"

#include <arpa/inet.h>
#include <catch2/catch.hpp>

#include <cstring>
#include <map>
#include <string>
#include <vector>
#include <zmq.hpp>

namespace {

// Answers one ZAP request: 200, the given user id, metadata {name: name}.
void answer_one_zap_request(zmq::socket_t& handler, const std::string& user_id,
                            const std::string& name) {
    std::vector<zmq::message_t> request;
    do {
        zmq::message_t frame;
        REQUIRE(handler.recv(frame));
        request.push_back(std::move(frame));
    } while (handler.get(zmq::sockopt::rcvmore));
    // routing id, empty, version, request id, ... (RFC 27)
    REQUIRE(request.size() >= 4);
    std::string metadata;
    metadata.push_back(char(4));
    metadata += "name";
    const std::uint32_t size = htonl(std::uint32_t(name.size()));
    metadata.append(reinterpret_cast<const char*>(&size), 4);
    metadata += name;
    const std::string reply[] = {
        request[0].to_string(), "", "1.0", request[3].to_string(), "200", "OK", user_id, metadata};
    for (std::size_t i = 0; i < std::size(reply); ++i)
        handler.send(zmq::buffer(reply[i]),
                     i + 1 < std::size(reply) ? zmq::send_flags::sndmore : zmq::send_flags::none);
}

} // namespace

TEST_CASE("a plain socket does not authenticate and its messages carry no identity", "[identity]") {
    zmq::context_t context;
    zmq::socket_t server(context, zmq::socket_type::pull), client(context, zmq::socket_type::push);
    server.set(zmq::sockopt::linger, 0);
    client.set(zmq::sockopt::linger, 0);
    server.bind("tcp://127.0.0.1:*");
    CHECK_FALSE(zd::socket_authenticates(server));
    client.connect(server.get(zmq::sockopt::last_endpoint));
    client.send(zmq::str_buffer("hello"));
    zmq::message_t message;
    REQUIRE(server.recv(message));
    CHECK(zd::peer_identity(message).empty());
    CHECK(zd::peer_identity(message).name.empty());
}

TEST_CASE("a CURVE socket authenticates and each message carries the User-Id and name",
          "[identity]") {
    zmq::context_t context;
    zmq::socket_t handler(context, zmq::socket_type::router);
    handler.set(zmq::sockopt::linger, 0);
    handler.bind("inproc://zeromq.zap.01");
    char server_public[41], server_secret[41], client_public[41], client_secret[41];
    REQUIRE(zmq_curve_keypair(server_public, server_secret) == 0);
    REQUIRE(zmq_curve_keypair(client_public, client_secret) == 0);

    zmq::socket_t server(context, zmq::socket_type::pull), client(context, zmq::socket_type::push);
    server.set(zmq::sockopt::linger, 0);
    client.set(zmq::sockopt::linger, 0);
    server.set(zmq::sockopt::curve_server, 1);
    server.set(zmq::sockopt::curve_secretkey, server_secret);
    server.set(zmq::sockopt::zap_domain, "test");
    server.bind("tcp://127.0.0.1:*");
    CHECK(zd::socket_authenticates(server));

    client.set(zmq::sockopt::curve_serverkey, server_public);
    client.set(zmq::sockopt::curve_publickey, client_public);
    client.set(zmq::sockopt::curve_secretkey, client_secret);
    client.connect(server.get(zmq::sockopt::last_endpoint));
    client.send(zmq::str_buffer("first"), zmq::send_flags::sndmore);
    client.send(zmq::str_buffer("second"));
    answer_one_zap_request(handler, client_public, "hub-a");

    zmq::message_t first, second;
    REQUIRE(server.recv(first));
    REQUIRE(server.recv(second));
    for (auto* frame : {&first, &second}) {
        const auto identity = zd::peer_identity(*frame);
        CHECK(identity.user_id == client_public);
        CHECK(identity.name == "hub-a");
        CHECK(zd::peer_identity(*frame, false).name.empty()); // not asked: not read
    }
}

TEST_CASE("a NULL socket with a ZAP domain authenticates", "[identity]") {
    zmq::context_t context;
    zmq::socket_t server(context, zmq::socket_type::pull);
    server.set(zmq::sockopt::linger, 0);
    server.set(zmq::sockopt::zap_domain, "plain-with-ip-lists");
    CHECK(zd::socket_authenticates(server));
}

TEST_CASE("peer_identity_reader_t gives each message its own sender's name as senders alternate",
          "[identity]") {
    zmq::context_t context;
    zmq::socket_t handler(context, zmq::socket_type::router);
    handler.set(zmq::sockopt::linger, 0);
    handler.bind("inproc://zeromq.zap.01");
    char server_public[41], server_secret[41];
    REQUIRE(zmq_curve_keypair(server_public, server_secret) == 0);
    zmq::socket_t server(context, zmq::socket_type::pull);
    server.set(zmq::sockopt::linger, 0);
    server.set(zmq::sockopt::curve_server, 1);
    server.set(zmq::sockopt::curve_secretkey, server_secret);
    server.set(zmq::sockopt::zap_domain, "test");
    server.bind("tcp://127.0.0.1:*");

    // Two clients, "hub-a" and "hub-b", each sending its own name as the message.
    std::vector<zmq::socket_t> clients;
    std::map<std::string, std::string> key_of;
    for (const std::string name : {"hub-a", "hub-b"}) {
        char client_public[41], client_secret[41];
        REQUIRE(zmq_curve_keypair(client_public, client_secret) == 0);
        zmq::socket_t& client = clients.emplace_back(context, zmq::socket_type::push);
        client.set(zmq::sockopt::linger, 0);
        client.set(zmq::sockopt::curve_serverkey, server_public);
        client.set(zmq::sockopt::curve_publickey, client_public);
        client.set(zmq::sockopt::curve_secretkey, client_secret);
        client.connect(server.get(zmq::sockopt::last_endpoint));
        answer_one_zap_request(handler, client_public, name);
        key_of[name] = client_public;
    }
    for (int round = 0; round < 20; ++round)
        for (std::size_t i = 0; i < clients.size(); ++i)
            clients[i].send(zmq::buffer(std::string(i == 0 ? "hub-a" : "hub-b")));

    zd::peer_identity_reader_t reader;
    for (int received = 0; received < 40; ++received) {
        zmq::message_t message;
        REQUIRE(server.recv(message));
        const auto identity = reader.read(message);
        const std::string sender = message.to_string();
        CHECK(identity.name == sender);
        CHECK(identity.user_id == key_of[sender]);
    }
}

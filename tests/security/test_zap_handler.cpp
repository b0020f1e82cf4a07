// The ZAP handler (lib/security/zap_handler.hpp) serving real libzmq sockets in one process:
//
//   client PUSH --tcp 127.0.0.1--> server PULL (CURVE or NULL, require_zap "test")
//                                        |  libzmq asks, per handshake
//                                        v
//                         zap_handler_t: ROUTER @inproc://zeromq.zap.01
//
// Every "gets nothing" waits for the server's handshake-failed event, then checks that no
// message arrived.
#include "security/zap_handler.hpp"
#include "zap_test_sockets.hpp"

#include "base/message_io.hpp"

#include <catch2/catch.hpp>
#include <mutex>
#include <thread>

using namespace zap_test;
using namespace zd::security;

namespace {

const auto nothing_more = 200ms; // after a refusal: the message would have been there by now

zap_policy_config_t allow_keys(std::vector<allowed_key_t> keys) {
    zap_policy_config_t config;
    config.curve_allowed = std::move(keys);
    return config;
}

// Refusal lines, collected from the handler thread.
struct log_lines_t {
    std::mutex mutex;
    std::vector<std::string> lines;
    zap_handler_options_t options() {
        zap_handler_options_t options;
        options.log_line = [this](std::string_view line) {
            std::lock_guard lock(mutex);
            lines.emplace_back(line);
        };
        return options;
    }
    std::vector<std::string> taken() {
        std::lock_guard lock(mutex);
        return lines;
    }
};

} // namespace

TEST_CASE("an allowed key delivers, and its User-Id is its Z85 public key", "[zap][handler]") {
    zmq::context_t context;
    const auto server_keys = curve_keys_t::generate(), client_keys = curve_keys_t::generate();
    zap_handler_t handler(context, allow_keys({{client_keys.public_key, "client-a"}}));
    server_t server(context, mechanism_t::curve, server_keys);
    auto client = curve_client(context, server.endpoint(), server_keys.public_key, client_keys);

    auto message = server.receive(5s);
    REQUIRE(message);
    CHECK(message->to_string() == "hello");
    CHECK(property(*message, "User-Id") == client_keys.public_key);
    CHECK(property(*message, "name") == "client-a");
    CHECK(handler.counters().accepted == 1);
    CHECK(handler.counters().refused() == 0);
}

TEST_CASE("an unknown key gets nothing through", "[zap][handler]") {
    zmq::context_t context;
    const auto server_keys = curve_keys_t::generate(), known = curve_keys_t::generate();
    zap_handler_t handler(context, allow_keys({{known.public_key, ""}}));
    server_t server(context, mechanism_t::curve, server_keys);
    auto stranger =
        curve_client(context, server.endpoint(), server_keys.public_key, curve_keys_t::generate());

    CHECK(server.wait_for_refusal() == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
    CHECK_FALSE(server.receive(nothing_more));
    CHECK(handler.counters().refused_unknown_key >= 1);
    CHECK(handler.counters().accepted == 0);
}

TEST_CASE("a plain-text client of a CURVE server gets nothing through", "[zap][handler]") {
    zmq::context_t context;
    const auto server_keys = curve_keys_t::generate();
    zap_handler_t handler(context, allow_keys({}));
    server_t server(context, mechanism_t::curve, server_keys);
    auto client = plain_client(context, server.endpoint());

    CHECK(server.wait_for_refusal() != 0);
    CHECK_FALSE(server.receive(nothing_more));
    CHECK(handler.counters().accepted == 0);
}

TEST_CASE("a NULL peer from a denied address is refused, from an allowed one it passes",
          "[zap][handler]") {
    zmq::context_t context;
    zap_policy_config_t deny;
    deny.ip_deny = {"127.0.0.1"};
    zap_handler_t handler(context, deny);
    {
        server_t server(context, mechanism_t::null, {});
        auto client = plain_client(context, server.endpoint());
        CHECK(server.wait_for_refusal() == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
        CHECK_FALSE(server.receive(nothing_more));
        CHECK(handler.counters().refused_address_denied >= 1);
    }
    zap_policy_config_t allow;
    allow.ip_allow = {"127.0.0.0/8"};
    handler.reload(allow);
    server_t server(context, mechanism_t::null, {});
    auto client = plain_client(context, server.endpoint());
    auto message = server.receive(5s);
    REQUIRE(message);
    CHECK(property(*message, "User-Id").empty());
}

TEST_CASE("a reload lets a new key in at its next handshake and shuts a removed one out",
          "[zap][handler]") {
    zmq::context_t context;
    const auto server_keys = curve_keys_t::generate(), client_keys = curve_keys_t::generate();
    zap_handler_t handler(context, allow_keys({}));
    zap_allow_cache_t cache(handler);
    server_t server(context, mechanism_t::curve, server_keys);
    const std::uint64_t first = handler.generation();
    {
        auto refused =
            curve_client(context, server.endpoint(), server_keys.public_key, client_keys);
        REQUIRE(server.wait_for_refusal() == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
    }
    CHECK_FALSE(cache.is_allowed(client_keys.public_key));

    handler.reload(allow_keys({{client_keys.public_key, "late"}}));
    CHECK(handler.generation() != first);
    CHECK(cache.is_allowed(client_keys.public_key));
    {
        auto admitted =
            curve_client(context, server.endpoint(), server_keys.public_key, client_keys);
        auto message = server.receive(5s);
        REQUIRE(message);
        CHECK(property(*message, "User-Id") == client_keys.public_key);
    }

    const std::uint64_t second = handler.generation();
    handler.reload(allow_keys({}));
    CHECK(handler.generation() != second);
    CHECK_FALSE(handler.policy()->is_allowed(client_keys.public_key));
    CHECK(cache.refresh());
    CHECK_FALSE(cache.refresh()); // once per change
    CHECK_FALSE(cache.is_allowed(client_keys.public_key));
    auto removed = curve_client(context, server.endpoint(), server_keys.public_key, client_keys);
    CHECK(server.wait_for_refusal() == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
    CHECK_FALSE(server.receive(nothing_more));
}

TEST_CASE("a bad config on reload is refused and the old policy stays", "[zap][handler]") {
    zmq::context_t context;
    const auto client_keys = curve_keys_t::generate();
    zap_handler_t handler(context, allow_keys({{client_keys.public_key, ""}}));
    const auto generation = handler.generation();
    zap_policy_config_t bad;
    bad.ip_deny = {"10.0.0.1/8"};
    CHECK_THROWS_AS(handler.reload(bad), std::invalid_argument);
    CHECK(handler.generation() == generation);
    CHECK(handler.policy()->is_allowed(client_keys.public_key));
}

TEST_CASE("a bad config is refused at construction", "[zap][handler]") {
    zmq::context_t context;
    zap_policy_config_t bad;
    bad.ip_allow = {"not-an-address"};
    CHECK_THROWS_AS(zap_handler_t(context, bad), std::invalid_argument);
    zap_handler_t handler(context, {}); // the endpoint was not left bound
}

TEST_CASE("one context has one ZAP handler", "[zap][handler]") {
    zmq::context_t context;
    zap_handler_t handler(context, {});
    CHECK_THROWS_AS(zap_handler_t(context, {}), zmq::error_t);
}

TEST_CASE("a client refused again and again is logged once per interval", "[zap][handler]") {
    // libzmq does not retry a handshake the ZAP handler refused: each refusal here is a new
    // connection of the same key, as a client restarted in a loop would make.
    zmq::context_t context;
    const auto server_keys = curve_keys_t::generate(), keys = curve_keys_t::generate();
    log_lines_t log;
    zap_handler_t handler(context, allow_keys({}), log.options()); // interval: 10 s
    server_t server(context, mechanism_t::curve, server_keys);
    for (int i = 0; i < 5; ++i) {
        auto stranger = curve_client(context, server.endpoint(), server_keys.public_key, keys);
        REQUIRE(server.wait_for_refusal() == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
    }

    CHECK(handler.counters().refused_unknown_key == 5);
    const auto lines = log.taken();
    REQUIRE(lines.size() == 1);
    CHECK(lines[0] == "ZAP refused 127.0.0.1: unknown key " + keys.public_key + " (domain test)");
}

TEST_CASE("require_zap wants a domain", "[zap][handler]") {
    zmq::context_t context;
    zmq::socket_t socket(context, zmq::socket_type::pull);
    CHECK_THROWS_AS(zd::security::require_zap(socket, ""), std::invalid_argument);
}

TEST_CASE("a malformed request is answered 500 and counted; one of too many frames is dropped",
          "[zap][handler]") {
    // Not libzmq: a DEALER in the same process, speaking to the handler directly.
    zmq::context_t context;
    zap_handler_t handler(context, {});
    zmq::socket_t asker(context, zmq::socket_type::dealer);
    asker.set(zmq::sockopt::linger, 0);
    asker.connect(std::string(zap_endpoint));
    const std::vector<std::string> bad_version{"", "2.0", "7", "d", "127.0.0.1", "", "NULL"};
    for (std::size_t i = 0; i < bad_version.size(); ++i)
        asker.send(zmq::buffer(bad_version[i]),
                   i + 1 < bad_version.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
    zmq::pollitem_t item{asker.handle(), 0, ZMQ_POLLIN, 0};
    REQUIRE(zmq::poll(&item, 1, 5s) == 1);
    std::vector<zmq::message_t> reply;
    REQUIRE(zd::receive_message(asker, reply) == zd::received::message);
    REQUIRE(reply.size() == 7);
    CHECK(reply[1].to_string() == "1.0");
    CHECK(reply[2].to_string() == "7");
    CHECK(reply[3].to_string() == "500");
    CHECK(reply[4].to_string() == "malformed request: ZAP version is not 1.0");
    CHECK(handler.counters().refused_malformed == 1);

    for (int i = 0; i < 40; ++i) // far more frames than any ZAP request
        asker.send(zmq::str_buffer("x"),
                   i + 1 < 40 ? zmq::send_flags::sndmore : zmq::send_flags::none);
    asker.send(zmq::str_buffer(""), zmq::send_flags::sndmore); // then a good one, to sync on
    const std::vector<std::string> good{"1.0", "8", "d", "127.0.0.1", "", "NULL"};
    for (std::size_t i = 0; i < good.size(); ++i)
        asker.send(zmq::buffer(good[i]),
                   i + 1 < good.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
    REQUIRE(zmq::poll(&item, 1, 5s) == 1);
    REQUIRE(zd::receive_message(asker, reply) == zd::received::message);
    CHECK(reply.at(2).to_string() == "8"); // the long one had no answer
    CHECK(reply.at(3).to_string() == "200");
    CHECK(handler.counters().refused_malformed == 2);
    CHECK(handler.counters().accepted == 1);
}

TEST_CASE("a removed key's open connection still delivers, and is_allowed tells the device to "
          "drop it",
          "[zap][handler]") {
    // libzmq does not cut a live session when its key leaves the allow-list: the device must
    // check each message's User-Id (docs/SECURITY.md, "Reload and revocation").
    zmq::context_t context;
    const auto server_keys = curve_keys_t::generate(), client_keys = curve_keys_t::generate();
    zap_handler_t handler(context, allow_keys({{client_keys.public_key, ""}}));
    zap_allow_cache_t cache(handler);
    server_t server(context, mechanism_t::curve, server_keys);
    auto client = curve_client(context, server.endpoint(), server_keys.public_key, client_keys);
    auto before = server.receive(5s);
    REQUIRE(before);
    CHECK(cache.is_allowed(property(*before, "User-Id")));

    handler.reload(allow_keys({}));
    REQUIRE(client.send(zmq::str_buffer("after"), zmq::send_flags::dontwait));
    auto after = server.receive(5s);
    REQUIRE(after); // still delivered by libzmq ...
    CHECK(after->to_string() == "after");
    CHECK_FALSE(cache.is_allowed(property(*after, "User-Id"))); // ... and refused by the check
}

TEST_CASE("reloads from another thread while handshakes are served lose no allowed client",
          "[zap][handler]") {
    zmq::context_t context;
    const auto server_keys = curve_keys_t::generate(), client_keys = curve_keys_t::generate();
    const allowed_key_t kept{client_keys.public_key, "kept"};
    zap_handler_t handler(context, allow_keys({kept}));
    server_t server(context, mechanism_t::curve, server_keys);
    const std::uint64_t first = handler.generation();
    constexpr int reloads = 200;
    std::vector<zap_policy_config_t> versions; // made here: Catch's checks are not thread-safe
    for (int i = 0; i < reloads; ++i)          // the kept key is in every version
        versions.push_back(allow_keys({kept, {curve_keys_t::generate().public_key, "other"}}));
    std::thread reloader([&] {
        for (auto& version : versions)
            handler.reload(std::move(version));
    });
    std::vector<zmq::socket_t> clients;
    int delivered = 0;
    for (int i = 0; i < 10; ++i) {
        clients.push_back(
            curve_client(context, server.endpoint(), server_keys.public_key, client_keys));
        if (auto message = server.receive(5s)) delivered += property(*message, "name") == "kept";
    }
    reloader.join();
    CHECK(delivered == 10);
    CHECK(handler.generation() == first + reloads);
    CHECK(handler.counters().accepted == 10);
}

// A device side with its own allow-list (--frontend-curve-allow) is a ZAP domain with its own
// policy; the other domains keep the default one.
TEST_CASE("a domain's own policy decides its handshakes; other domains keep the default",
          "[zap][handler]") {
    zmq::context_t context;
    const auto server_keys = curve_keys_t::generate(), client_keys = curve_keys_t::generate();
    zap_handler_t handler(context, allow_keys({}));
    handler.reload("test", allow_keys({{client_keys.public_key, "side-only"}}));
    server_t server(context, mechanism_t::curve, server_keys); // domain "test"
    auto client = curve_client(context, server.endpoint(), server_keys.public_key, client_keys);

    auto message = server.receive(5s);
    REQUIRE(message);
    CHECK(property(*message, "name") == "side-only");
    zap_allow_cache_t side(handler, "test"), other(handler, "elsewhere");
    CHECK(side.is_allowed(client_keys.public_key));
    CHECK_FALSE(other.is_allowed(client_keys.public_key));
}

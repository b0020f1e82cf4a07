// What libzmq does when the ZAP handler is absent or slow, and why every CURVE server socket
// calls require_zap:
//
//   client PUSH --tcp--> server PULL (CURVE)      [no handler]  or  [a ROUTER of the test's
//                                                                     own at zeromq.zap.01,
//                                                                     answering when told]
#include "security/zap_handler.hpp"
#include "zap_test_sockets.hpp"

#include "base/message_io.hpp"

#include <catch2/catch.hpp>

using namespace zap_test;
using namespace zd::security;

namespace {

// A ZAP handler the test drives by hand: it holds each request until answered.
class manual_handler_t {
public:
    explicit manual_handler_t(zmq::context_t& context)
        : router_(context, zmq::socket_type::router) {
        router_.set(zmq::sockopt::linger, 0);
        router_.bind(std::string(zap_endpoint));
    }
    // The next request, waiting up to 5 s.
    zap_request_t next_request() {
        zmq::pollitem_t item{router_.handle(), 0, ZMQ_POLLIN, 0};
        REQUIRE(zmq::poll(&item, 1, 5s) == 1);
        std::vector<zmq::message_t> frames;
        REQUIRE(zd::receive_message(router_, frames) == zd::received::message);
        std::vector<std::string_view> views;
        for (auto& frame : frames)
            views.push_back(frame.to_string_view());
        const auto parsed = parse_zap_request(views.data(), views.size());
        REQUIRE(parsed.ok());
        return parsed.request;
    }
    void answer(const zap_request_t& request, zap_status status, const std::string& user_id) {
        const auto frames =
            encode_zap_reply({request.routing_id, request.request_id, status, "test", user_id, {}});
        for (std::size_t i = 0; i < frames.size(); ++i)
            router_.send(zmq::buffer(frames[i]),
                         i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
    }

private:
    zmq::socket_t router_;
};

} // namespace

TEST_CASE("without a handler and without enforcing the domain, libzmq lets any key in",
          "[zap][enforce]") {
    // The trap require_zap closes (docs/SECURITY.md): this is libzmq 4.3's documented default.
    zmq::context_t context;
    const auto server_keys = curve_keys_t::generate();
    server_t server(context, mechanism_t::curve, server_keys, /*enforce=*/false);
    auto anyone =
        curve_client(context, server.endpoint(), server_keys.public_key, curve_keys_t::generate());
    CHECK(server.receive(5s));
}

TEST_CASE("with the domain enforced and no handler bound, every key is refused", "[zap][enforce]") {
    zmq::context_t context;
    const auto server_keys = curve_keys_t::generate();
    server_t server(context, mechanism_t::curve, server_keys);
    auto anyone =
        curve_client(context, server.endpoint(), server_keys.public_key, curve_keys_t::generate());
    CHECK(server.wait_for_refusal() != 0);
    CHECK_FALSE(server.receive(200ms));
}

TEST_CASE("a slow handler holds the client out until it answers, and its refusal lets nothing in",
          "[zap][enforce]") {
    zmq::context_t context;
    manual_handler_t handler(context);
    const auto server_keys = curve_keys_t::generate(), client_keys = curve_keys_t::generate();
    server_t server(context, mechanism_t::curve, server_keys);
    auto client = curve_client(context, server.endpoint(), server_keys.public_key, client_keys);

    const zap_request_t request = handler.next_request();
    CHECK(request.mechanism == zap_mechanism::curve);
    CHECK(request.domain == "test");
    CHECK(request.address == "127.0.0.1");
    CHECK(z85_of_curve_key(request.credentials.at(0)) == client_keys.public_key);
    // Unanswered: no handshake completes and nothing is delivered.
    CHECK(server.next_handshake_event(300ms) == 0);
    CHECK_FALSE(server.receive(0ms));

    handler.answer(request, zap_status::refused, "");
    CHECK(server.wait_for_refusal() == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
    CHECK_FALSE(server.receive(200ms));
}

TEST_CASE("a slow handler's late welcome lets the client in with the user id it gave",
          "[zap][enforce]") {
    zmq::context_t context;
    manual_handler_t handler(context);
    const auto server_keys = curve_keys_t::generate(), client_keys = curve_keys_t::generate();
    server_t server(context, mechanism_t::curve, server_keys);
    auto client = curve_client(context, server.endpoint(), server_keys.public_key, client_keys);

    const zap_request_t request = handler.next_request();
    CHECK_FALSE(server.receive(300ms));
    handler.answer(request, zap_status::ok, "late-user");
    CHECK(server.next_handshake_event() == ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
    auto message = server.receive(5s);
    REQUIRE(message);
    CHECK(property(*message, "User-Id") == "late-user");
}

// The endpoint grammar (lib/base/endpoints.hpp): what parses, what each side defaults to,
// and that every error names the bad value, since that message is all a user sees.
#include "base/endpoints.hpp"

#include <catch2/catch.hpp>
#include <zmq.hpp>

using Catch::Matchers::Contains;
using zd::attach_mode;
using zd::endpoint_error;
using zd::endpoint_t;
using zd::parse_endpoint;
using zd::parse_endpoints;

TEST_CASE("prefixes choose bind or connect, bare endpoints take the side's default",
          "[endpoints]") {
    CHECK(parse_endpoint("@tcp://127.0.0.1:5555", attach_mode::connect) ==
          endpoint_t{attach_mode::bind, "tcp://127.0.0.1:5555"});
    CHECK(parse_endpoint(">tcp://127.0.0.1:5555", attach_mode::bind) ==
          endpoint_t{attach_mode::connect, "tcp://127.0.0.1:5555"});
    CHECK(parse_endpoint("tcp://127.0.0.1:5555", attach_mode::bind).mode == attach_mode::bind);
    CHECK(parse_endpoint("tcp://127.0.0.1:5555", attach_mode::connect).mode ==
          attach_mode::connect);
    CHECK(parse_endpoint("ipc:///tmp/x.ipc", attach_mode::bind).address == "ipc:///tmp/x.ipc");
    CHECK(parse_endpoint(">inproc://name", attach_mode::bind).address == "inproc://name");
}

TEST_CASE("to_string always writes the prefix, and round-trips", "[endpoints]") {
    const auto list =
        parse_endpoints("tcp://127.0.0.1:1,>ipc:///tmp/a,@inproc://b", attach_mode::bind);
    CHECK(zd::to_string(list) == "@tcp://127.0.0.1:1,>ipc:///tmp/a,@inproc://b");
    CHECK(parse_endpoints(zd::to_string(list), attach_mode::connect) == list);
}

TEST_CASE("lists keep their order and mix transports and modes", "[endpoints]") {
    const auto list = parse_endpoints("@tcp://*:5555,>ipc:///run/up,inproc://x", attach_mode::bind);
    REQUIRE(list.size() == 3);
    CHECK(list[0] == endpoint_t{attach_mode::bind, "tcp://*:5555"});
    CHECK(list[1] == endpoint_t{attach_mode::connect, "ipc:///run/up"});
    CHECK(list[2] == endpoint_t{attach_mode::bind, "inproc://x"});
}

TEST_CASE("tcp accepts IPv6, wildcards and a source address", "[endpoints]") {
    CHECK(parse_endpoint("tcp://[::1]:5555", attach_mode::connect).address == "tcp://[::1]:5555");
    CHECK(parse_endpoint("@tcp://[::1]:*", attach_mode::bind).address == "tcp://[::1]:*");
    CHECK(parse_endpoint("@tcp://*:*", attach_mode::bind).address == "tcp://*:*");
    CHECK(parse_endpoint("@tcp://127.0.0.1:*", attach_mode::bind).address == "tcp://127.0.0.1:*");
    // Port 0 means "any port" to libzmq's bind, like '*'.
    CHECK_NOTHROW(parse_endpoint("@tcp://127.0.0.1:0", attach_mode::bind));
    CHECK(parse_endpoint(">tcp://127.0.0.1:6000;127.0.0.1:5555", attach_mode::connect).address ==
          "tcp://127.0.0.1:6000;127.0.0.1:5555");
    CHECK_NOTHROW(parse_endpoint("tcp://host.example:65535", attach_mode::connect));
    CHECK_NOTHROW(parse_endpoint("tcp://host.example:1", attach_mode::connect));
}

namespace {
// The message parse_endpoints throws for text (empty if it does not throw).
std::string error_for(const std::string& text, attach_mode mode = attach_mode::bind) {
    try {
        parse_endpoints(text, mode);
    } catch (const endpoint_error& error) {
        return error.what();
    }
    return {};
}
} // namespace

TEST_CASE("every malformed endpoint is an error that names it", "[endpoints]") {
    SECTION("empty list") {
        CHECK_THAT(error_for(""), Contains("empty endpoint list"));
    }
    SECTION("empty element") {
        CHECK_THAT(error_for(",,"), Contains("empty endpoint") && Contains("',,'"));
        CHECK_THAT(error_for("tcp://127.0.0.1:1,"), Contains("'tcp://127.0.0.1:1,'"));
        CHECK_THAT(error_for(",tcp://127.0.0.1:1"), Contains("empty endpoint"));
        CHECK_THAT(error_for("tcp://a:1,,tcp://b:2"), Contains("'tcp://a:1,,tcp://b:2'"));
    }
    SECTION("unknown transport") {
        CHECK_THAT(error_for("udp://127.0.0.1:5555"),
                   Contains("'udp://127.0.0.1:5555'") && Contains("unknown transport 'udp'"));
        CHECK_THAT(error_for("tcp://a:1,>http://b:2"),
                   Contains("'>http://b:2'") && Contains("'http'"));
    }
    SECTION("no transport at all") {
        CHECK_THAT(error_for("127.0.0.1:5555"),
                   Contains("'127.0.0.1:5555'") && Contains("transport://address"));
        CHECK_THAT(error_for("@"), Contains("'@'"));
    }
    SECTION("missing port") {
        CHECK_THAT(error_for("tcp://127.0.0.1"),
                   Contains("'tcp://127.0.0.1'") && Contains("host:port"));
        CHECK_THAT(error_for("tcp://[::1]"), Contains("'tcp://[::1]'") && Contains("host:port"));
        CHECK_THAT(error_for("tcp://127.0.0.1:"), Contains("port ''"));
    }
    SECTION("missing host") {
        CHECK_THAT(error_for("tcp://:5555"), Contains("'tcp://:5555'"));
    }
    SECTION("bad port") {
        CHECK_THAT(error_for("tcp://127.0.0.1:70000"),
                   Contains("'tcp://127.0.0.1:70000'") && Contains("port '70000'"));
        CHECK_THAT(error_for("tcp://127.0.0.1:65536"), Contains("port '65536'"));
        CHECK_THAT(error_for("tcp://127.0.0.1:abc"), Contains("port 'abc'"));
        CHECK_THAT(error_for("tcp://127.0.0.1:-1"), Contains("port '-1'"));
        CHECK_THAT(error_for("tcp://127.0.0.1:55x"), Contains("port '55x'"));
        CHECK_THAT(error_for(">tcp://127.0.0.1:0"),
                   Contains("'>tcp://127.0.0.1:0'") && Contains("wildcard port"));
    }
    SECTION("connect to a wildcard port") {
        CHECK_THAT(error_for(">tcp://127.0.0.1:*"),
                   Contains("'>tcp://127.0.0.1:*'") && Contains("cannot connect to a wildcard"));
        CHECK_THAT(error_for("tcp://127.0.0.1:*", attach_mode::connect),
                   Contains("cannot connect to a wildcard"));
    }
    SECTION("empty ipc path or inproc name") {
        CHECK_THAT(error_for("ipc://"), Contains("'ipc://'") && Contains("empty address"));
        CHECK_THAT(error_for("@inproc://"), Contains("'@inproc://'") && Contains("empty address"));
    }
    SECTION("the error is an invalid_argument, so callers can treat it as a usage error") {
        CHECK_THROWS_AS(parse_endpoints("udp://x:1", attach_mode::bind), std::invalid_argument);
        CHECK_THROWS_AS(parse_endpoint("", attach_mode::bind), endpoint_error);
    }
}

TEST_CASE("attach resolves wildcard ports and names an address that cannot be bound",
          "[endpoints]") {
    zmq::context_t context;
    zmq::socket_t first(context, zmq::socket_type::pull);
    first.set(zmq::sockopt::linger, 0);
    const auto attached = zd::attach(
        first, parse_endpoints("@tcp://127.0.0.1:*,@inproc://attach-test", attach_mode::bind));
    REQUIRE(attached.size() == 2);
    CHECK(attached[0].mode == attach_mode::bind);
    CHECK(attached[0].address.starts_with("tcp://127.0.0.1:"));
    CHECK(attached[0].address != "tcp://127.0.0.1:*");
    CHECK(attached[1].address == "inproc://attach-test");

    zmq::socket_t second(context, zmq::socket_type::pull);
    second.set(zmq::sockopt::linger, 0);
    try {
        zd::attach(second, {attached[0]});
        FAIL("binding an address in use did not throw");
    } catch (const std::runtime_error& error) {
        CHECK_THAT(error.what(), Contains("cannot bind " + attached[0].address));
    }
}

// Socket type names for --type: which each tool takes, and errors that name the value.
#include "shell/socket_types.hpp"

#include <catch2/catch.hpp>

using namespace zd::shell;

TEST_CASE("sending tools take the sending types", "[tools]") {
    CHECK(parse_socket_type("push", sending_socket_types()) == zmq::socket_type::push);
    CHECK(parse_socket_type("PUB", sending_socket_types()) == zmq::socket_type::pub);
    CHECK(parse_socket_type("req", sending_socket_types()) == zmq::socket_type::req);
    CHECK_THROWS_WITH(parse_socket_type("pull", sending_socket_types()),
                      Catch::Contains("'pull'") && Catch::Contains("push, pub, xpub"));
}

TEST_CASE("receiving tools take the receiving types", "[tools]") {
    CHECK(parse_socket_type("pull", receiving_socket_types()) == zmq::socket_type::pull);
    CHECK(parse_socket_type("Rep", receiving_socket_types()) == zmq::socket_type::rep);
    CHECK_THROWS_WITH(parse_socket_type("bogus", receiving_socket_types()),
                      Catch::Contains("'bogus'"));
    CHECK(socket_type_names(receiving_socket_types()) ==
          "pull, sub, xsub, dealer, router, rep or pair");
}

TEST_CASE("socket types have names", "[tools]") {
    CHECK(socket_type_name(zmq::socket_type::xpub) == "xpub");
    CHECK(socket_type_name(zmq::socket_type::dealer) == "dealer");
}

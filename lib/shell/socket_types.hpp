// Socket type names as operators type them (--type push, --type rep): which types each tool
// accepts, and the name of each type for messages.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <zmq.hpp>

namespace zd::shell {

// Types that make sense for sending: push, pub, xpub, dealer, req, pair.
std::span<const zmq::socket_type> sending_socket_types();

// Types that make sense for receiving: pull, sub, xsub, dealer, router, rep, pair.
std::span<const zmq::socket_type> receiving_socket_types();

// Lower-case name of a type ("push"), or "unknown".
std::string_view socket_type_name(zmq::socket_type type);

// "push, pub, ... or pair": the allowed names, for error messages and --help.
std::string socket_type_names(std::span<const zmq::socket_type> allowed);

// Parses a name (case-insensitive) among allowed. Throws std::invalid_argument naming the
// value and listing the allowed names.
zmq::socket_type parse_socket_type(std::string_view name,
                                   std::span<const zmq::socket_type> allowed);

} // namespace zd::shell

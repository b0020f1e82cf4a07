#include "shell/socket_types.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <stdexcept>

namespace zd::shell {

namespace {

struct named_type_t {
    std::string_view name;
    zmq::socket_type type;
};

constexpr std::array<named_type_t, 12> named_types{{
    {"push", zmq::socket_type::push},
    {"pull", zmq::socket_type::pull},
    {"pub", zmq::socket_type::pub},
    {"sub", zmq::socket_type::sub},
    {"xpub", zmq::socket_type::xpub},
    {"xsub", zmq::socket_type::xsub},
    {"req", zmq::socket_type::req},
    {"rep", zmq::socket_type::rep},
    {"dealer", zmq::socket_type::dealer},
    {"router", zmq::socket_type::router},
    {"pair", zmq::socket_type::pair},
    {"stream", zmq::socket_type::stream},
}};

constexpr std::array sending_types{zmq::socket_type::push, zmq::socket_type::pub,
                                   zmq::socket_type::xpub, zmq::socket_type::dealer,
                                   zmq::socket_type::req,  zmq::socket_type::pair};

constexpr std::array receiving_types{zmq::socket_type::pull,   zmq::socket_type::sub,
                                     zmq::socket_type::xsub,   zmq::socket_type::dealer,
                                     zmq::socket_type::router, zmq::socket_type::rep,
                                     zmq::socket_type::pair};

} // namespace

std::span<const zmq::socket_type> sending_socket_types() {
    return sending_types;
}

std::span<const zmq::socket_type> receiving_socket_types() {
    return receiving_types;
}

std::string_view socket_type_name(zmq::socket_type type) {
    for (const auto& named : named_types)
        if (named.type == type) return named.name;
    return "unknown";
}

std::string socket_type_names(std::span<const zmq::socket_type> allowed) {
    std::string names;
    for (std::size_t i = 0; i < allowed.size(); ++i) {
        if (i > 0) names += i + 1 == allowed.size() ? " or " : ", ";
        names += socket_type_name(allowed[i]);
    }
    return names;
}

zmq::socket_type parse_socket_type(std::string_view name,
                                   std::span<const zmq::socket_type> allowed) {
    std::string lower(name);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return char(std::tolower(c)); });
    for (const zmq::socket_type type : allowed)
        if (socket_type_name(type) == lower) return type;
    throw std::invalid_argument("unsupported socket type '" + std::string(name) + "' (expected " +
                                socket_type_names(allowed) + ")");
}

} // namespace zd::shell

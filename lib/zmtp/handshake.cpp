#include "zmtp/handshake.hpp"

#include "zmtp/frame.hpp"
#include "zmtp/greeting.hpp"

#include <array>
#include <stdexcept>

namespace zd::zmtp {

namespace {

struct pairing_t {
    std::string_view type;
    std::array<std::string_view, 3> peers; // empty entries unused
};

// RFC 28/REQREP, 29/PUBSUB, 30/PIPELINE, 31/EXPAIR, as libzmq checks them.
constexpr pairing_t pairings[] = {
    {"REQ", {"REP", "ROUTER", ""}},
    {"REP", {"REQ", "DEALER", ""}},
    {"DEALER", {"REP", "DEALER", "ROUTER"}},
    {"ROUTER", {"REQ", "DEALER", "ROUTER"}},
    {"PUB", {"SUB", "XSUB", ""}},
    {"XPUB", {"SUB", "XSUB", ""}},
    {"SUB", {"PUB", "XPUB", ""}},
    {"XSUB", {"PUB", "XPUB", ""}},
    {"PUSH", {"PULL", "", ""}},
    {"PULL", {"PUSH", "", ""}},
    {"PAIR", {"PAIR", "", ""}},
};

const pairing_t* pairing_of(std::string_view type) {
    for (const auto& pairing : pairings)
        if (pairing.type == type) return &pairing;
    return nullptr;
}

} // namespace

bool socket_types_match(std::string_view ours, std::string_view peer) {
    const pairing_t* pairing = pairing_of(ours);
    if (!pairing || peer.empty()) return false;
    for (std::string_view allowed : pairing->peers)
        if (allowed == peer) return true;
    return false;
}

null_handshake_t::null_handshake_t(std::string socket_type, std::string routing_id)
    : socket_type_(std::move(socket_type)), routing_id_(std::move(routing_id)) {
    if (!pairing_of(socket_type_))
        throw std::invalid_argument("unknown ZMTP socket type '" + socket_type_ + "'");
    if (routing_id_.size() > 255) throw std::invalid_argument("a routing id has at most 255 bytes");
    const greeting_bytes_t greeting = make_greeting("NULL", false);
    output_.assign(greeting.data(), greeting.size());
}

std::string_view null_handshake_t::peer_socket_type() const {
    return find_property(peer_properties_, "Socket-Type").value_or(std::string_view());
}

std::size_t null_handshake_t::feed(std::string_view bytes) {
    std::size_t used = 0;
    if (stage_ == stage::greeting) used += feed_greeting(bytes);
    if (stage_ == stage::ready) used += feed_ready(bytes.substr(used));
    return used;
}

std::size_t null_handshake_t::feed_greeting(std::string_view bytes) {
    const std::size_t take = std::min(greeting_size - pending_.size(), bytes.size());
    pending_.append(bytes.substr(0, take));
    if (pending_.size() < greeting_size) return take;
    const greeting_result_t peer = parse_greeting(pending_);
    pending_.clear();
    if (!peer.ok) {
        fail(peer.error);
        return take;
    }
    if (peer.greeting.mechanism != "NULL") {
        fail("the peer asks for the " + peer.greeting.mechanism +
             " mechanism; this side speaks NULL");
        return take;
    }
    peer_minor_ = peer.greeting.minor;
    properties_t ours{{"Socket-Type", socket_type_}};
    if (!routing_id_.empty()) ours.emplace_back("Identity", routing_id_);
    append_frame(output_, flag_command, make_command("READY", encode_properties(ours)));
    stage_ = stage::ready;
    return take;
}

std::size_t null_handshake_t::feed_ready(std::string_view bytes) {
    const std::size_t before = pending_.size();
    pending_.append(bytes);
    const decode_result_t decoded = decode_frame(pending_, max_command_body);
    switch (decoded.status) {
    case decode_status::need_more:
        return bytes.size();
    case decode_status::error:
        fail("bad frame during the handshake: " + std::string(decoded.error));
        return bytes.size();
    case decode_status::frame:
        break;
    }
    const std::size_t used = decoded.consumed - before;
    if (!decoded.frame.command())
        fail("a message before READY");
    else
        on_command(decoded.frame.body);
    pending_.clear();
    return used;
}

void null_handshake_t::on_command(std::string_view body) {
    const auto command = parse_command(body);
    if (!command) return fail("malformed command during the handshake");
    if (command->name == "ERROR") {
        const std::string_view data = command->data;
        const std::size_t size = data.empty() ? 0 : static_cast<std::uint8_t>(data[0]);
        return fail("the peer refused: " + std::string(data.substr(data.empty() ? 0 : 1, size)));
    }
    if (command->name != "READY") return fail("expected READY, got " + std::string(command->name));
    auto properties = parse_properties(command->data);
    if (!properties) return fail("malformed READY metadata");
    peer_properties_ = std::move(*properties);
    const std::string_view peer_type = peer_socket_type();
    if (!socket_types_match(socket_type_, peer_type))
        return fail(
            "a " + socket_type_ + " socket cannot talk to a " +
            (peer_type.empty() ? std::string("peer without Socket-Type") : std::string(peer_type)) +
            " socket");
    stage_ = stage::done;
}

void null_handshake_t::fail(std::string why) {
    stage_ = stage::failed;
    error_ = std::move(why);
}

} // namespace zd::zmtp

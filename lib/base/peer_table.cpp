#include "base/peer_table.hpp"

#include "base/json_writer.hpp"

#include <stdexcept>

namespace zd {

peer_table_t::peer_table_t(std::vector<std::string> sides) {
    for (auto& name : sides)
        sides_.push_back(side_t{std::move(name), {}, {}});
}

std::size_t peer_table_t::side(std::string_view name) const {
    for (std::size_t index = 0; index < sides_.size(); ++index)
        if (sides_[index].name == name) return index;
    throw std::invalid_argument("peer table: no side named '" + std::string(name) + "'");
}

void peer_table_t::connected(std::size_t side, std::uint64_t id, std::string address) {
    std::lock_guard lock(mutex_);
    side_t& s = sides_.at(side);
    const bool fresh = s.open.insert_or_assign(id, std::move(address)).second;
    ++s.counts.connections;
    if (!fresh) ++s.counts.disconnections; // the close we never heard of
    s.counts.connected = s.open.size();
}

void peer_table_t::disconnected(std::size_t side, std::uint64_t id) {
    std::lock_guard lock(mutex_);
    side_t& s = sides_.at(side);
    if (s.open.erase(id) == 0) return;
    ++s.counts.disconnections;
    s.counts.connected = s.open.size();
}

void peer_table_t::handshake_failed(std::size_t side) {
    std::lock_guard lock(mutex_);
    ++sides_.at(side).counts.handshake_failures;
}

void peer_table_t::oversized(std::size_t side) {
    std::lock_guard lock(mutex_);
    ++sides_.at(side).counts.oversize_disconnects;
}

void peer_table_t::protocol_error(std::size_t side) {
    std::lock_guard lock(mutex_);
    ++sides_.at(side).counts.protocol_errors;
}

void peer_table_t::record(const peer_event_t& event) {
    switch (event.kind) {
    case peer_event_t::kind_t::connected:
        connected(event.side, event.id, event.address);
        break;
    case peer_event_t::kind_t::disconnected:
        disconnected(event.side, event.id);
        break;
    case peer_event_t::kind_t::handshake_failed:
        handshake_failed(event.side);
        break;
    case peer_event_t::kind_t::oversized:
        oversized(event.side);
        break;
    case peer_event_t::kind_t::protocol_error:
        protocol_error(event.side);
        break;
    }
}

peer_counts_t peer_table_t::counts(std::size_t side) const {
    std::lock_guard lock(mutex_);
    return sides_.at(side).counts;
}

void peer_table_t::write_json(json_writer_t& json) const {
    std::lock_guard lock(mutex_);
    json.key("peers").begin_object();
    for (const side_t& s : sides_) {
        json.key(s.name).begin_object();
        json.key("connected").value(s.counts.connected);
        json.key("connections").value(s.counts.connections);
        json.key("disconnections").value(s.counts.disconnections);
        json.key("handshake_failures").value(s.counts.handshake_failures);
        json.key("oversize_disconnects").value(s.counts.oversize_disconnects);
        json.key("protocol_errors").value(s.counts.protocol_errors);
        json.key("addresses").begin_array();
        std::size_t listed = 0;
        for (const auto& [id, address] : s.open) {
            if (listed == max_listed_addresses) break;
            if (address.empty()) continue;
            json.value(address);
            ++listed;
        }
        json.end_array();
        json.key("addresses_not_listed").value(std::uint64_t(s.open.size() - listed));
        json.end_object();
    }
    json.end_object();
}

} // namespace zd

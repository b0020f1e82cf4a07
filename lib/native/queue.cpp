#include "native/queue.hpp"

#include "base/json_writer.hpp"
#include "base/log.hpp"

#include <random>

namespace zd {

namespace {

struct client_t : native_peer_extension_t {
    std::string routing_id;
};

const std::string& routing_id_of(const native_peer_t& client) {
    return static_cast<const client_t&>(*client.extension).routing_id;
}

// With --hold-replies: a worker's reply kept for a client at its mark (routing id first).
struct worker_t : native_peer_extension_t {
    std::vector<std::string> held_reply;
    std::uint64_t held_bytes = 0;
};

std::vector<std::string>* held_reply_of(native_peer_t& worker) {
    auto* held = static_cast<worker_t*>(worker.extension.get());
    return held && !held->held_reply.empty() ? &held->held_reply : nullptr;
}

// libzmq's ROUTER: a zero byte, then a 32-bit counter that starts at a random value.
std::string generated_routing_id(std::uint32_t value) {
    std::string id(5, '\0');
    for (int i = 0; i < 4; ++i)
        id[std::size_t(4 - i)] = char((value >> (8 * i)) & 0xff);
    return id;
}

} // namespace

native_queue_t::native_queue_t(native_device_t& device, bool hold_replies)
    : device_(device), hold_replies_(hold_replies), next_routing_id_(std::random_device{}()) {}

void native_queue_t::peer_ready(native_side_t& side, native_peer_t& peer) {
    if (&side != &device_.frontend()) {
        if (hold_replies_) peer.extension = std::make_unique<worker_t>();
        return;
    }
    auto client = std::make_unique<client_t>();
    const auto identity =
        zmtp::find_property(peer.connection->handshake().peer_properties(), "Identity");
    if (identity && !identity->empty()) {
        if (clients_.contains(*identity)) {
            log::debug("frontend: refused a client whose routing id another client has");
            peer.connection->drop("routing id already in use");
            return;
        }
        client->routing_id = std::string(*identity);
    } else {
        do
            client->routing_id = generated_routing_id(next_routing_id_++);
        while (clients_.contains(client->routing_id));
    }
    clients_.emplace(client->routing_id, &peer);
    peer.extension = std::move(client);
}

void native_queue_t::peer_gone(native_side_t& side, native_peer_t& peer) {
    if (&side == &device_.frontend() && peer.extension) clients_.erase(routing_id_of(peer));
    // A reply held for a worker that goes leaves with it: counted, as any reply not delivered.
    if (&side == &device_.backend() && held_reply_of(peer))
        ++device_.counters().backend_to_frontend.dropped_messages;
}

native_peer_t* native_queue_t::client_for(std::string_view routing_id) const {
    const auto client = clients_.find(routing_id);
    if (client == clients_.end() || client->second->connection->broken()) return nullptr;
    return client->second;
}

// reply without its routing id, to client.
void native_queue_t::deliver(native_peer_t& client, const std::vector<std::string_view>& reply,
                             std::uint64_t bytes) {
    client.connection->queue_message(reply);
    ++client.messages_sent;
    direction_counters_t& way = device_.counters().backend_to_frontend;
    ++way.sent_messages;
    way.sent_bytes += bytes;
}

// The reply held for worker, if any, to its client once it has room (or dropped if it is
// gone). Returns whether the worker may be read again.
bool native_queue_t::deliver_held_reply(native_peer_t& worker) {
    auto* held = held_reply_of(worker);
    if (!held) return true;
    native_peer_t* client = client_for((*held)[0]);
    if (client && client->connection->queued_messages() >= device_.send_mark()) return false;
    if (client) {
        std::vector<std::string_view> reply(held->begin() + 1, held->end());
        deliver(*client, reply, static_cast<worker_t&>(*worker.extension).held_bytes);
    } else {
        ++device_.counters().backend_to_frontend.dropped_messages; // its client left
    }
    held->clear();
    return true;
}

// A worker's replies to the clients their first frame names.
void native_queue_t::forward_replies(native_peer_t& worker) {
    direction_counters_t& way = device_.counters().backend_to_frontend;
    const std::size_t mark = device_.send_mark();
    if (held_reply_of(worker)) return; // its next reply waits for room first
    while (worker.connection->next_message(frames_)) {
        const std::uint64_t bytes = message_bytes(frames_);
        ++way.received_messages;
        way.received_bytes += bytes;
        ++worker.messages_received;
        device_.capture(frames_);
        native_peer_t* client = frames_.size() < 2 ? nullptr : client_for(frames_[0]);
        if (client && hold_replies_ && client->connection->queued_messages() >= mark) {
            auto& held = static_cast<worker_t&>(*worker.extension);
            held.held_reply.assign(frames_.begin(), frames_.end());
            held.held_bytes = bytes;
            worker.held = true; // read nothing more from it until the client has room
            return;
        }
        if (!client || client->connection->queued_messages() >= mark) {
            ++way.dropped_messages;
            continue;
        }
        frames_.erase(frames_.begin());
        deliver(*client, frames_, bytes);
    }
}

void native_queue_t::forward() {
    // Paused, workers are not read either: their replies wait in the kernel's buffers.
    for (auto& worker : device_.backend().peers)
        worker->held = device_.paused() || (!deliver_held_reply(*worker));
    if (device_.paused()) return;
    worker_queue_.visit(device_.backend(),
                        [this](native_peer_t& worker) { forward_replies(worker); });
    // A client's requests, each behind its routing id, to workers while one has room.
    client_queue_.visit(device_.frontend(), [this](native_peer_t& client) {
        if (client.extension)
            relay_round_robin(device_, client, device_.backend(), workers_,
                              device_.counters().frontend_to_backend, routing_id_of(client),
                              frames_);
    });
}

// Writing to workers can make room for a held client's requests.
bool native_queue_t::forward_again() const {
    if (device_.paused()) return false;
    // Writing to clients can make room for a held reply.
    for (const auto& worker : device_.backend().peers)
        if (auto* held = held_reply_of(*worker)) {
            const native_peer_t* client = client_for((*held)[0]);
            if (!client || client->connection->queued_messages() < device_.send_mark()) return true;
        }
    return any_held(device_.frontend()) &&
           workers_.pick(device_.backend(), device_.send_mark()) != native_round_robin_t::none;
}

// Each worker that finished its handshake: requests handed to it (queued to its connection),
// replies read from it, and the difference, in flight. A worker that sends more replies
// than it got requests (a DEALER making its own) shows 0 in flight, not a negative number.
void native_queue_t::write_stats(json_writer_t& json) const {
    json.key("workers_known").value(true).key("workers").begin_array();
    std::uint64_t not_listed = 0;
    std::size_t listed = 0;
    for (const auto& worker : device_.backend().peers) {
        if (!worker->announced) continue;
        if (listed == max_listed_workers) {
            ++not_listed;
            continue;
        }
        ++listed;
        const std::uint64_t sent = worker->messages_sent, replied = worker->messages_received;
        json.begin_object().key("address").value(worker->address);
        json.key("in_flight").value(sent > replied ? sent - replied : std::uint64_t(0));
        json.key("sent").value(sent).key("replied").value(replied).end_object();
    }
    json.end_array().key("workers_not_listed").value(not_listed);
}

} // namespace zd

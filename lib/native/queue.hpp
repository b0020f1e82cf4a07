// zd-queue's routing on the native engine (native/device.hpp): ROUTER -> DEALER and back.
//
// Each client (REQ, DEALER, ROUTER) gets a routing id when its handshake is done: the
// Identity it sent in READY, or else five bytes of our own (0, then a counter), as libzmq's
// ROUTER makes them; a client whose Identity another connected client already has is
// refused, as libzmq's ROUTER does without ZMQ_ROUTER_HANDOVER. Requests are fair-queued
// from the clients and go, behind their client's routing id, to the next worker (REP,
// DEALER, ROUTER) in round robin under its mark; when no worker has room the client is held
// (back-pressure, nothing dropped). Replies are fair-queued from the workers; the first
// frame names the client, the rest goes to it. A reply to a client that is gone or at its
// mark is dropped and counted in backend_to_frontend.dropped_messages, as the libzmq engine
// does with ZMQ_ROUTER_MANDATORY: holding it would hold every client's replies.
//
// With hold_replies (zd-queue --hold-replies, for a queue whose clients are other queues), a
// reply for a client at its mark is kept instead (one per worker, copied) and its worker is
// not read until the client has room: back-pressure on replies too, so that a chain of queues
// loses no answer. A reply for a client that is gone is still dropped.
#pragma once

#include "native/device.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace zd {

class native_queue_t final : public native_routing_t {
public:
    // The device's frontend must be of type ROUTER and its backend DEALER.
    explicit native_queue_t(native_device_t& device, bool hold_replies = false);

    void peer_ready(native_side_t& side, native_peer_t& peer) override;
    void peer_gone(native_side_t& side, native_peer_t& peer) override;
    void forward() override;
    bool forward_again() const override;
    // STATS "workers_known": true, "workers": [{"address", "in_flight", "sent", "replied"}],
    // at most max_listed_workers of them, "workers_not_listed": the rest.
    void write_stats(json_writer_t& json) const override;

    static constexpr std::size_t max_listed_workers = 100;

private:
    void forward_replies(native_peer_t& worker);
    bool deliver_held_reply(native_peer_t& worker);
    void deliver(native_peer_t& client, const std::vector<std::string_view>& reply,
                 std::uint64_t bytes);
    native_peer_t* client_for(std::string_view routing_id) const;

    native_device_t& device_;
    bool hold_replies_;
    // Looked up by a reply's first frame, a view: no string is made per reply.
    struct id_hash_t {
        using is_transparent = void;
        std::size_t operator()(std::string_view id) const {
            return std::hash<std::string_view>{}(id);
        }
    };
    std::unordered_map<std::string, native_peer_t*, id_hash_t, std::equal_to<>>
        clients_; // by routing id
    std::uint32_t next_routing_id_;
    native_round_robin_t workers_;
    native_fair_queue_t client_queue_;
    native_fair_queue_t worker_queue_;
    std::vector<std::string_view> frames_;  // the message being forwarded
    std::vector<std::string_view> request_; // a request behind its routing id
};

} // namespace zd

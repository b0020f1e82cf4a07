// The native routings in one process, with fake peers and no loop: each peer is a socketpair
// whose one end is the device's connection (as the native loop would hold it) and whose other
// end is a zmtp::connection_t the test speaks through. The harness does what
// native_device_t's loop does around a routing, step by step and deterministically (a unix
// socketpair makes what one end writes readable at the other at once): pump bytes, announce
// peers whose handshake is done, forward while the routing asks, drop broken peers.
#pragma once

#include "base/control.hpp"
#include "native/device.hpp"
#include "zmtp/connection.hpp"

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <sys/socket.h>
#include <vector>

namespace zd::test {

using message_t = std::vector<std::string>;

// One fake peer: the test's end of a connection to the device.
struct fake_peer_t {
    std::unique_ptr<zmtp::connection_t> connection;
    native_side_t* side = nullptr;
    native_peer_t* device_end = nullptr;
    bool reads = true; // false: a peer that stops reading (its socket fills, then ours)

    void send(const message_t& frames) {
        std::vector<std::string_view> views(frames.begin(), frames.end());
        connection->queue_message(views);
    }
    void command(std::string_view name, std::string_view data) {
        connection->queue_command(name, data);
    }
};

template <typename Routing>
class native_harness_t {
public:
    // A device of frontend_type/backend_type with no endpoints; hwm as --hwm sets it;
    // routing_arguments follow the device in the routing's constructor.
    template <typename... Arguments>
    native_harness_t(std::string frontend_type, std::string backend_type, int hwm = 1000,
                     Arguments&&... routing_arguments) {
        options_.send_hwm = hwm;
        options_.receive_hwm = hwm;
        device_ =
            std::make_unique<native_device_t>(description_, options_, frontend_type, backend_type);
        routing_ =
            std::make_unique<Routing>(*device_, std::forward<Arguments>(routing_arguments)...);
    }

    native_device_t& device() { return *device_; }
    const Routing& routing() const { return *routing_; }
    proxy_counters_t& counters() { return device_->counters(); }

    // Connects a peer of their_type (with an Identity, if given) to a side and completes
    // its handshake; the routing is told it is ready.
    fake_peer_t& connect(native_side_t& side, const std::string& their_type,
                         const std::string& identity = {}) {
        int fds[2];
        REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
        auto peer = std::make_unique<native_peer_t>();
        peer->connection = std::make_unique<zmtp::connection_t>(fds[0], side.socket_type);
        side.peers.push_back(std::move(peer));
        auto fake = std::make_unique<fake_peer_t>();
        fake->connection = std::make_unique<zmtp::connection_t>(fds[1], their_type, identity);
        fake->side = &side;
        fake->device_end = side.peers.back().get();
        // As the native loop does on accept, the device writes its greeting at once; the
        // peer reads it before it writes anything, so its greeting and READY go out in one
        // write, as libzmq's often do.
        fake->device_end->connection->on_writable();
        fake->connection->on_readable();
        fakes_.push_back(std::move(fake));
        settle();
        return *fakes_.back();
    }

    // Moves bytes both ways until nothing moves, in the native loop's order: reads, then
    // peers announced and broken ones dropped (the routing is told), then forwarding and the
    // writes it makes.
    void settle() {
        for (int round = 0; round < 64; ++round) {
            bool moved = read_into_device();
            announce_ready();
            drop_broken();
            forward();
            moved = write_from_device() || moved;
            if (!moved) return;
        }
    }

    // What a fake peer has received since the last call (commands are handled inside).
    std::vector<message_t> received(fake_peer_t& peer) {
        std::vector<message_t> messages;
        std::vector<std::string_view> frames;
        while (peer.connection->next_message(frames))
            messages.emplace_back(frames.begin(), frames.end());
        return messages;
    }

    // Closes a fake peer's end: the device sees its connection break.
    void disconnect(fake_peer_t& peer) {
        peer.connection.reset();
        settle();
    }

private:
    // Fake peers write all they have; each device connection reads once, as the native loop
    // reads once per poll. True if any bytes moved.
    bool read_into_device() {
        bool moved = false;
        for (auto& fake : fakes_)
            if (fake->connection && fake->connection->wants_write())
                moved = fake->connection->on_writable() || moved;
        for_each_device_connection([&](native_peer_t& peer, zmtp::connection_t& connection) {
            const bool read = !connection.ready() || (!peer.held && !device_->paused());
            if (read) moved = read_some(connection) || moved;
        });
        return moved;
    }

    // The device's writes and the fake peers' reads until neither moves: fake peers that
    // read keep up, as peers in processes of their own do. True if any bytes moved.
    bool write_from_device() {
        bool moved = false;
        for (bool draining = true; draining;) {
            draining = false;
            for_each_device_connection([&](native_peer_t&, zmtp::connection_t& connection) {
                if (!connection.wants_write()) return;
                const auto before = connection.queued_bytes();
                connection.on_writable();
                draining = connection.queued_bytes() != before || draining;
            });
            for (auto& fake : fakes_)
                if (fake->connection && fake->reads)
                    while (read_some(*fake->connection))
                        draining = true;
            moved = moved || draining;
        }
        return moved;
    }

    template <typename Visit>
    void for_each_device_connection(Visit visit) {
        for (native_side_t* side : {&device_->frontend(), &device_->backend()})
            for (auto& peer : side->peers)
                if (!peer->connection->broken()) visit(*peer, *peer->connection);
    }

    // on_readable() once, and whether it took bytes (it keeps them buffered).
    static bool read_some(zmtp::connection_t& connection) {
        char probe;
        if (::recv(connection.fd(), &probe, 1, MSG_PEEK | MSG_DONTWAIT) <= 0) {
            // Nothing waiting, or the other end closed: on_readable() notices a close.
            if (::recv(connection.fd(), &probe, 1, MSG_PEEK | MSG_DONTWAIT) == 0)
                connection.on_readable();
            return false;
        }
        connection.on_readable();
        return true;
    }

    void announce_ready() {
        for (native_side_t* side : {&device_->frontend(), &device_->backend()})
            for (auto& peer : side->peers)
                if (!peer->announced && peer->connection->ready() && !peer->connection->broken()) {
                    peer->announced = true;
                    routing_->peer_ready(*side, *peer);
                }
    }

    void forward() {
        do {
            routing_->forward();
            device_->flush(device_->backend());
            device_->flush(device_->frontend());
        } while (routing_->forward_again());
    }

    void drop_broken() {
        for (native_side_t* side : {&device_->frontend(), &device_->backend()}) {
            auto& peers = side->peers;
            for (auto it = peers.begin(); it != peers.end();) {
                if (!(*it)->connection->broken()) {
                    ++it;
                    continue;
                }
                if ((*it)->announced) routing_->peer_gone(*side, **it);
                for (auto& fake : fakes_)
                    if (fake->device_end == it->get()) fake->device_end = nullptr;
                it = peers.erase(it);
            }
        }
    }

    device_description_t description_{"zd-test", "", "", {}, {}, {}, {}};
    socket_options_t options_;
    std::unique_ptr<native_device_t> device_;
    std::unique_ptr<Routing> routing_;
    std::vector<std::unique_ptr<fake_peer_t>> fakes_;
};

} // namespace zd::test

// A fake network of broker_t instances (lib/mdp/broker.hpp) for federation tests: no sockets,
// one hand-moved clock. Each broker's outbox hands what it sends on a link to the network,
// which delivers it to the broker at the other end under the name that end knows the link by,
// as zd-broker's sockets would (lib/mdp/broker_server.cpp):
//
//   opener  --"\0zd-link:N" + frames-->  network  --routing id R + frames-->  acceptor
//   opener  <--"\0zd-link:N" + frames--  network  <--routing id R + frames--  acceptor
//
// A link we open is a DEALER whose id is "\0zd-link:N"; the peer's ROUTER knows it by a
// routing id of its own making (5 bytes, a zero first), on a connection of its own. Messages
// travel in order per wire, and wait in transit until the test delivers them (run(), or one
// at a time), so tests can cross messages on purpose. Everything that crosses a wire is logged
// (paths are checked on the wire). What a broker sends to its clients and workers is kept per
// broker, for the test to read.
#pragma once

#include "mdp/broker.hpp"
#include "mdp/peering.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <deque>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace zd::mdp::federation_test {

using namespace std::chrono_literals;
using frames_t = std::vector<std::string>;

inline std::string byte(std::uint8_t value) {
    return std::string(1, char(value));
}

// A point far from zero, so that "now - something" never underflows a default time_point.
inline const time_point_t t0 = time_point_t{} + std::chrono::hours(1000);

class network_t;

// One ZeroMQ connection between two brokers: opener's DEALER to acceptor's ROUTER.
struct wire_t {
    std::size_t opener = 0, acceptor = 0;
    std::string link_id;     // the opener's name for it (broker_t::add_link)
    std::string routing_id;  // the acceptor's ROUTER's name for it
    connection_t connection; // on the acceptor's side
    bool connected = true;   // a closed connection refuses sends and loses what was in transit
    bool cut = false;        // a partition: sends succeed, nothing arrives, no event says so
    bool held = false;       // a stall: what is sent waits in transit, in order, until released
};

// A message that crossed a wire, as sent (frames after the sender's name for the link).
struct crossed_t {
    std::size_t from = 0, to = 0, wire = 0;
    frames_t frames;
    time_point_t at;
};

class node_outbox_t : public outbox_t {
public:
    node_outbox_t(network_t& network, std::size_t self) : network_(network), self_(self) {}
    bool send(std::vector<zmq::message_t>& frames) override;

private:
    network_t& network_;
    std::size_t self_;
};

// One broker and what it sent to its own clients and workers.
struct node_t {
    node_t(network_t& network, std::size_t index, const broker_config_t& config)
        : outbox(network, index), broker(config, outbox) {}
    node_outbox_t outbox;
    broker_t broker;
    std::deque<frames_t> sent;  // to clients and workers, oldest first
    std::set<std::string> gone; // clients and workers the ROUTER no longer has
    std::size_t links_opened = 0;

    frames_t take() {
        REQUIRE_FALSE(sent.empty());
        frames_t message = std::move(sent.front());
        sent.pop_front();
        return message;
    }
    std::vector<frames_t> take_all() {
        std::vector<frames_t> all(sent.begin(), sent.end());
        sent.clear();
        return all;
    }
};

inline broker_config_t federation_config(const std::string& name) {
    broker_config_t config;
    config.heartbeat_interval = 1000ms;
    config.heartbeat_liveness = 3;
    config.request_timeout = 60000ms;
    config.max_retries = 3;
    config.max_queue = 100;
    config.max_services = 100;
    config.service_ttl = 5000ms;
    config.broker_id = std::string("broker-") + name; // 8 bytes for a one-letter name
    config.broker_id.resize(peering::broker_id_size, '-');
    config.broker_name = name;
    return config;
}

class network_t {
public:
    time_point_t now = t0;
    std::vector<std::unique_ptr<node_t>> nodes;
    std::vector<wire_t> wires;
    std::vector<crossed_t> log; // every message sent on a wire, in order
    std::uint64_t delivered = 0;
    // Workers that heartbeat at every tick (ready() adds them, worker_disconnect() removes).
    std::vector<std::pair<std::size_t, std::string>> live_workers;

    // A broker named name (id "broker-" + name); returns its index.
    std::size_t add(const std::string& name, broker_config_t config = {}) {
        if (config.broker_id.empty()) config = federation_config(name);
        const std::size_t index = nodes.size();
        nodes.push_back(std::make_unique<node_t>(*this, index, config));
        nodes.back()->broker.on_timer(now); // its timers count from this clock
        return index;
    }
    // Several, named A, B, C...
    void add_many(std::size_t count, const broker_config_t& base = federation_config("A")) {
        for (std::size_t i = 0; i < count; ++i) {
            const std::string name(1, char('A' + i));
            broker_config_t config = base;
            const broker_config_t named = federation_config(name);
            config.broker_id = named.broker_id;
            config.broker_name = named.broker_name;
            add(name, config);
        }
    }
    node_t& operator[](std::size_t index) { return *nodes.at(index); }
    broker_t& broker(std::size_t index) { return nodes.at(index)->broker; }

    // opener names acceptor with --peer: a DEALER connects at once (cut: but nothing gets
    // through yet). Returns the wire's index.
    std::size_t open(std::size_t opener, std::size_t acceptor, bool cut = false) {
        wire_t wire;
        wire.opener = opener;
        wire.acceptor = acceptor;
        wire.link_id = std::string("\0zd-link:", 9) + std::to_string(nodes[opener]->links_opened++);
        const std::size_t index = wires.size();
        wires.push_back(wire);
        new_connection(index);
        wires[index].cut = cut;
        broker(opener).add_link(wire.link_id, "to-" + std::to_string(acceptor), now);
        broker(opener).on_link_connected(wire.link_id, now);
        return index;
    }

    // The connection closes: both ends hear of it at once (the acceptor's socket monitor,
    // the opener's link monitor); what was in transit on it is lost.
    void close(std::size_t index) {
        wire_t& wire = wires.at(index);
        wire.connected = false;
        broker(wire.acceptor).on_connection_closed(wire.connection, now);
        broker(wire.opener).on_link_disconnected(wire.link_id, now);
    }
    // The opener's DEALER reconnects: a new connection, and so a new routing id at the acceptor.
    void reconnect(std::size_t index) {
        new_connection(index);
        broker(wires[index].opener).on_link_connected(wires[index].link_id, now);
    }

    // Delivers the oldest message in transit; false if there is none.
    bool deliver_one() {
        for (auto next = in_transit_.begin(); next != in_transit_.end();) {
            if (wires[next->wire].held) { // TCP keeps it, in order, for later
                ++next;
                continue;
            }
            transit_t message = std::move(*next);
            next = in_transit_.erase(next);
            const wire_t& wire = wires[message.wire];
            if (!wire.connected || message.generation != generation_[message.wire]) continue;
            std::vector<zmq::message_t> frames;
            const std::string& name = message.to_acceptor ? wire.routing_id : wire.link_id;
            frames.emplace_back(name.data(), name.size());
            for (const auto& frame : message.frames)
                frames.emplace_back(frame.data(), frame.size());
            const std::size_t to = message.to_acceptor ? wire.acceptor : wire.opener;
            ++delivered;
            broker(to).on_message(frames, message.to_acceptor ? wire.connection : connection_t{},
                                  now);
            return true;
        }
        return false;
    }
    // Delivers until nothing is in transit; fails the test if that takes more than limit
    // deliveries (the fabric does not settle). Returns how many were delivered.
    std::size_t run(std::size_t limit = 10000) {
        std::size_t count = 0;
        while (deliver_one())
            REQUIRE(++count <= limit);
        return count;
    }
    // Messages in transit, held ones included.
    std::size_t in_transit() const { return in_transit_.size(); }

    // Moves the clock to now + by, running every broker's timer at each of its ticks on the
    // way (in time order) and delivering what each tick sends.
    void advance(milliseconds_t by) { advance_to(now + by); }
    void advance_to(time_point_t target) {
        while (true) {
            time_point_t next = target + 1ms;
            for (const auto& node : nodes)
                next = std::min(next, node->broker.next_timer());
            if (next > target) break;
            now = std::max(now, next);
            for (const auto& node : nodes)
                if (node->broker.next_timer() <= now) node->broker.on_timer(now);
            for (const auto& [node, worker] : live_workers) // live workers are never silent
                receive(node, {worker, "", "MDPW01", byte(0x04)});
            run();
        }
        now = target;
    }
    // Moves to the next tick of any broker; returns that time.
    time_point_t tick() {
        time_point_t next = nodes.front()->broker.next_timer();
        for (const auto& node : nodes)
            next = std::min(next, node->broker.next_timer());
        advance_to(std::max(now, next));
        return now;
    }

    // Peering messages of one command that crossed from a broker to another.
    std::vector<crossed_t> crossed(peering::command what) const {
        std::vector<crossed_t> found;
        for (const crossed_t& message : log)
            if (message.frames.size() >= 2 && message.frames[1] == byte(std::uint8_t(what)))
                found.push_back(message);
        return found;
    }
    std::size_t node_of(std::string_view broker_id) const {
        for (std::size_t i = 0; i < nodes.size(); ++i)
            if (nodes[i]->broker.broker_id() == broker_id) return i;
        return nodes.size();
    }

    // Clients and workers, as in broker_harness.hpp; they talk to one broker directly.
    void receive(std::size_t node, const frames_t& frames, connection_t from = {}) {
        std::vector<zmq::message_t> messages;
        for (const auto& frame : frames)
            messages.emplace_back(frame.data(), frame.size());
        broker(node).on_message(messages, from, now);
    }
    void ready(std::size_t node, const std::string& worker, const std::string& service,
               connection_t from = {}) {
        receive(node, {worker, "", "MDPW01", byte(0x01), service}, from);
        live_workers.emplace_back(node, worker);
    }
    void reply(std::size_t node, const std::string& worker, const std::string& client,
               const frames_t& body) {
        frames_t frames{worker, "", "MDPW01", byte(0x03), client, ""};
        frames.insert(frames.end(), body.begin(), body.end());
        receive(node, frames);
    }
    void reply_v02(std::size_t node, const std::string& worker, const std::string& client,
                   bool final_reply, const frames_t& body) {
        frames_t frames{worker, "MDPW02", byte(final_reply ? 0x04 : 0x03), client, ""};
        frames.insert(frames.end(), body.begin(), body.end());
        receive(node, frames);
    }
    void ready_v02(std::size_t node, const std::string& worker, const std::string& service) {
        receive(node, {worker, "MDPW02", byte(0x01), service});
        live_workers.emplace_back(node, worker);
    }
    void worker_disconnect(std::size_t node, const std::string& worker) {
        std::erase(live_workers, std::pair<std::size_t, std::string>(node, worker));
        receive(node, {worker, "", "MDPW01", byte(0x05)});
    }
    void request(std::size_t node, const std::string& client, const std::string& service,
                 const frames_t& body, version v = version::v01, connection_t from = {}) {
        frames_t frames = v == version::v01 ? frames_t{client, "", "MDPC01", service}
                                            : frames_t{client, "MDPC02", byte(0x01), service};
        frames.insert(frames.end(), body.begin(), body.end());
        receive(node, frames, from);
    }

    // Raw frames arriving at the acceptor of a wire, as if its opener had sent them.
    void inject_at_acceptor(std::size_t wire, const frames_t& frames) {
        frames_t message{wires[wire].routing_id};
        message.insert(message.end(), frames.begin(), frames.end());
        receive(wires[wire].acceptor, message, wires[wire].connection);
    }
    // Raw frames arriving at the opener of a wire, as if its acceptor had sent them.
    void inject_at_opener(std::size_t wire, const frames_t& frames) {
        frames_t message{wires[wire].link_id};
        message.insert(message.end(), frames.begin(), frames.end());
        receive(wires[wire].opener, message);
    }

    service_stats_t stats(std::size_t node, const std::string& service) {
        service_stats_t stats;
        REQUIRE(broker(node).service_stats(service, stats));
        return stats;
    }

    // What node's outbox does with frames (frames[0] names where they go).
    bool route(std::size_t from, std::vector<zmq::message_t>& frames) {
        REQUIRE_FALSE(frames.empty());
        const std::string to = frames[0].to_string();
        for (std::size_t index = 0; index < wires.size(); ++index) {
            wire_t& wire = wires[index];
            const bool to_acceptor = wire.opener == from && wire.link_id == to;
            const bool to_opener = wire.acceptor == from && wire.routing_id == to;
            if (!to_acceptor && !to_opener) continue;
            if (!wire.connected) return false; // DEALER with ZMQ_IMMEDIATE; ROUTER_MANDATORY
            transit_t message{index, to_acceptor, generation_[index], {}};
            for (std::size_t i = 1; i < frames.size(); ++i)
                message.frames.push_back(frames[i].to_string());
            log.push_back(
                {from, to_acceptor ? wire.acceptor : wire.opener, index, message.frames, now});
            if (!wire.cut) in_transit_.push_back(std::move(message));
            return true;
        }
        node_t& node = *nodes[from];
        if (node.gone.count(to)) return false;
        frames_t copy;
        for (const auto& frame : frames)
            copy.push_back(frame.to_string());
        node.sent.push_back(std::move(copy));
        return true;
    }

private:
    struct transit_t {
        std::size_t wire;
        bool to_acceptor;
        std::uint64_t generation; // of the wire's connection: a closed one loses its messages
        frames_t frames;
    };

    void new_connection(std::size_t index) {
        wire_t& wire = wires[index];
        const std::uint32_t serial = std::uint32_t(0x80000000u + ++connections_);
        wire.routing_id = std::string(1, '\0') + peering::encode_u32(serial);
        wire.connection = connection_t{int(100 + connections_), 5000 + connections_};
        wire.connected = true;
        generation_.resize(wires.size());
        ++generation_[index];
    }

    std::deque<transit_t> in_transit_;
    std::vector<std::uint64_t> generation_;
    std::uint64_t connections_ = 0;
};

inline bool node_outbox_t::send(std::vector<zmq::message_t>& frames) {
    return network_.route(self_, frames);
}

// What a broker sends to its clients, per the frame tables.
inline frames_t to_client_v01(const std::string& client, const std::string& service,
                              const frames_t& body) {
    frames_t frames{client, "", "MDPC01", service};
    frames.insert(frames.end(), body.begin(), body.end());
    return frames;
}
inline frames_t to_client_v02(const std::string& client, std::uint8_t command,
                              const std::string& service, const frames_t& body) {
    frames_t frames{client, "MDPC02", byte(command), service};
    frames.insert(frames.end(), body.begin(), body.end());
    return frames;
}
// A request as a broker hands it to a 0.1 worker: the client's name is frame 4.
inline bool is_worker_request(const frames_t& frames, const std::string& worker) {
    return frames.size() >= 7 && frames[0] == worker && frames[2] == "MDPW01" &&
           frames[3] == byte(0x02);
}
// The same to a 0.2 worker: the client's name is frame 3, the body from frame 5.
inline bool is_worker_request_v02(const frames_t& frames, const std::string& worker) {
    return frames.size() >= 6 && frames[0] == worker && frames[1] == "MDPW02" &&
           frames[2] == byte(0x02);
}

} // namespace zd::mdp::federation_test

// zd-broker's socket side: one ROUTER for clients and workers (any number of endpoints),
// a socket monitor that reports closed connections, the control endpoint, and the loop that
// feeds broker_t (lib/mdp/broker.hpp) and runs its timers.
//
// Closed connections: every received frame carries the descriptor it came in on (ZMQ_SRCFD)
// and the monitor reports when a descriptor closes. The socket's inode tells a closed
// connection from a newer one that reuses the descriptor number. This lets the broker requeue
// a dead worker's request at once, and drop the queued requests of a client that left,
// without waiting for heartbeats or expiry.
#pragma once

#include "base/control.hpp"
#include "base/endpoints.hpp"
#include "base/identity_table.hpp"
#include "base/peer_identity.hpp"
#include "base/peer_table.hpp"
#include "base/rate_limited_log.hpp"
#include "base/socket_options.hpp"
#include "mdp/broker.hpp"

#include <memory>
#include <optional>
#include <unordered_map>
#include <zmq.hpp>

namespace zd {
class poll_loop_t;
class stop_signal_t;
} // namespace zd

namespace zd::mdp {

// The options of each kind of socket the broker opens. They differ only by their CURVE keys
// and ZAP domain (lib/security/process_security.hpp: one side each), so that a peer link
// can use the peer's server key while the endpoint serves with an allow-list.
struct broker_socket_options_t {
    socket_options_t endpoint; // the ROUTER for clients, workers and peers' links
    socket_options_t control;  // the control server
    socket_options_t peer;     // the DEALER of each --peer link (connects: a CURVE client)

    // The same options for every socket (no CURVE, or tests).
    static broker_socket_options_t all(const socket_options_t& options) {
        return {options, options, options};
    }
};

class broker_server_t {
public:
    // Creates and attaches the sockets. Throws on set-up errors (bad endpoint, address in use).
    // peers: other brokers' endpoints to open a link to (federation, docs/FEDERATION.md).
    broker_server_t(zmq::context_t& context, const endpoint_list_t& endpoints,
                    const endpoint_list_t& control, const broker_socket_options_t& options,
                    const broker_config_t& config, const endpoint_list_t& peers = {});
    ~broker_server_t();

    // The endpoints as attached (wildcard ports resolved).
    const endpoint_list_t& endpoints() const { return endpoints_; }
    const endpoint_list_t& control_endpoints() const;
    // The control server's socket (there is one even without control endpoints), for
    // --metrics (ops::start_metrics): call before run(), on this thread.
    zmq::socket_t& control_socket() { return control_->socket(); }

    // Serves until a stop signal or TERMINATE. Returns true if stopped by TERMINATE.
    bool run(stop_signal_t& stop);

    const broker_t& broker() const { return *broker_; }
    // Messages per authenticated peer (clients and workers alike), for STATS; empty unless
    // the ROUTER authenticates (CURVE or a ZAP domain on its endpoints).
    const identity_table_t& identities() const { return identities_; }

private:
    class router_outbox_t;
    struct peer_link_t; // a link we opened to a peer broker: its DEALER and monitor

    void drain_monitor(std::chrono::steady_clock::time_point now);
    connection_t connection_of(int fd);
    struct received_t {
        std::vector<zmq::message_t> frames; // reused
        bool too_long = false;              // more than max_frames: dropped, id kept
    };
    // A burst: at most this many messages, or frames, read before they are handled.
    static constexpr std::size_t burst_messages = 256;
    static constexpr std::size_t max_burst_frames = 4096;
    // Bursts handled before the loop polls the other sockets (control, monitor, signals).
    static constexpr int rounds_per_poll = 4;

    void open_peer_link(zmq::context_t& context, const endpoint_t& peer,
                        const socket_options_t& options, const broker_config_t& config);
    void receive_from_link(peer_link_t& link);
    void drain_link_monitor(peer_link_t& link);
    bool receive_message(received_t& message);
    void receive_burst();
    void handle(received_t& message);
    void handle_valid_length(received_t& message, std::chrono::steady_clock::time_point now);
    statistics_t statistics() const;
    std::string stats_json() const;

    zmq::socket_t router_;
    zmq::socket_t monitor_;
    std::vector<std::unique_ptr<peer_link_t>> peer_links_;
    std::unique_ptr<router_outbox_t> outbox_;
    std::unique_ptr<broker_t> broker_;
    rate_limited_log_t protocol_error_log_{"refused a message that breaks MDP"};
    std::optional<control_server_t> control_;
    endpoint_list_t endpoints_;
    std::unordered_map<int, std::uint64_t> inode_of_fd_; // open connections
    peer_table_t peers_{{"endpoint"}};                   // STATS: clients and workers alike
    std::vector<received_t> burst_{burst_messages};      // reused for every burst
    std::vector<zmq::message_t> link_frames_;            // reused for links' messages
    std::size_t max_frames_ = 0;
    poll_loop_t* loop_ = nullptr; // while run() runs: its pause state and uptime
    std::uint64_t messages_in_ = 0, bytes_in_ = 0;
    bool reads_identity_ = false; // the ROUTER authenticates: count each message's User-Id
    identity_table_t identities_; // broker_t stays socketless: who sent what is counted here
    peer_identity_reader_t identity_reader_; // the name asked once per User-Id change
};

} // namespace zd::mdp

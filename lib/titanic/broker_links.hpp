// Titanic's worker connections to the broker: one MDP/0.2 worker link per titanic.request
// connection (N of them, read in one poll so that what they bring in together shares one
// commit), one for titanic.reply and one for titanic.close. The worker protocol (READY,
// heartbeats, liveness, reconnects) is lib/mdp's worker_session_t; a link adds its socket,
// recreated on every reconnect and pointed to by its watch on the poll loop.
#pragma once

#include "base/poll_loop.hpp"
#include "mdp/worker_session.hpp"
#include "titanic/broker_socket.hpp"

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace zd::titanic {

struct broker_links_config_t {
    std::chrono::milliseconds heartbeat_interval{2500};
    int heartbeat_liveness = 3;
    std::chrono::milliseconds reconnect_delay{1000};
    std::size_t batch_max = 256;   // messages read per link per turn
    std::size_t max_frames = 4096; // frames in one message; longer ones are dropped
};

// Which connection a request came in on: its answer goes back there, or nowhere if that
// connection has been replaced meanwhile (the broker has requeued the request).
struct link_address_t {
    std::size_t link = 0;
    std::uint64_t connection = 0;
};

class broker_links_t {
public:
    using time_point = mdp::worker_session_t::time_point;
    // A request for service: the client's address (the envelope) and the body frames. The
    // views are valid during the call only.
    using on_request_t =
        std::function<void(std::string_view service, link_address_t from, std::string_view client,
                           const std::string_view* body, std::size_t count)>;

    // One link per service listed (a service may be listed more than once). Connects them
    // all and sends READY. Throws like broker_sockets_t::open.
    broker_links_t(const broker_sockets_t& sockets, const std::vector<std::string>& services,
                   const broker_links_config_t& config, on_request_t on_request);
    ~broker_links_t();

    // Watches every link's socket on loop (which must outlive this object's use of it).
    void watch(poll_loop_t& loop);
    // Reading on or off (a full disk): while off the broker's silence does not count.
    void set_reading(bool reading, time_point now);

    // The final reply to a request. False if its connection is gone or full.
    bool answer(link_address_t to, std::string_view client, const std::string_view* body,
                std::size_t count, time_point now);

    void on_timer(time_point now);
    // DISCONNECT on every connection, so the broker sends our services' requests elsewhere.
    void stop(time_point now);

    std::uint64_t malformed() const;  // messages that are not MDP/0.2 for a worker
    std::uint64_t reconnects() const; // connections reopened (DISCONNECT, broker silent)
    std::size_t links() const { return links_.size(); }
    // Links on which the broker has been heard since they (re)connected.
    std::size_t live_links() const;

private:
    struct link_t;
    void read(link_t& link, time_point now);

    const broker_sockets_t& sockets_;
    broker_links_config_t config_;
    on_request_t on_request_;
    std::vector<std::unique_ptr<link_t>> links_;
    poll_loop_t* loop_ = nullptr;
    bool reading_ = true;
    std::uint64_t too_long_ = 0;          // messages over max_frames
    std::vector<zmq::message_t> frames_;  // reused for every message received
    std::vector<std::string_view> views_; // reused frame views
};

} // namespace zd::titanic

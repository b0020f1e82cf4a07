// Titanic's dispatcher: sends each stored request to its service through the broker, as an
// MDP/0.2 client, and stores the reply. One request in flight per DEALER slot (an MDP reply
// carries no request id, so one per socket is the only way a reply can never be matched to
// the wrong request); a timeout closes that socket (a late reply cannot arrive on the new
// one), and the service backs off: its requests wait, then one probes it.
#pragma once

#include "base/poll_loop.hpp"
#include "titanic/broker_socket.hpp"
#include "titanic/store.hpp"

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace zd::titanic {

struct dispatcher_config_t {
    int slots = 8;                                     // DEALER sockets, one request each
    std::chrono::milliseconds dispatch_timeout{10000}; // wait this long for a reply
    std::chrono::milliseconds retry_delay{1000};       // first back-off; doubles up to max
    std::chrono::milliseconds max_retry_delay{30000};
    std::size_t max_frames = 4096; // frames in one reply message; longer ones are dropped
};

struct dispatcher_counters_t {
    std::uint64_t dispatched = 0; // requests sent to their service (retries included)
    std::uint64_t retries = 0;    // dispatches after a timeout
    std::uint64_t timeouts = 0;
    std::uint64_t replies_stored = 0;
    std::uint64_t stray_replies = 0;     // messages that answer nothing
    std::uint64_t discarded_replies = 0; // replies for requests closed meanwhile
};

class dispatcher_t {
public:
    using clock = std::chrono::steady_clock;
    using time_point = clock::time_point;

    // Opens the slots. store must outlive the dispatcher.
    dispatcher_t(const broker_sockets_t& sockets, store_t& store, dispatcher_config_t config);
    ~dispatcher_t();

    // Watches every slot's socket on loop.
    void watch(poll_loop_t& loop);
    // Reading on or off (a full disk: no reply could be stored).
    void set_reading(bool reading);

    // A committed request, to be dispatched when a slot is free.
    void queue(std::string uuid) { ready_.push_back(std::move(uuid)); }
    // Sends ready requests on free slots (services backing off wait).
    void dispatch(time_point now);
    // Timeouts (retry on a new socket, back-off) and delayed requests coming due.
    void on_timer(time_point now);

    std::size_t ready() const { return ready_.size(); }
    std::size_t delayed() const { return delayed_.size(); }
    std::size_t in_flight() const;
    const dispatcher_counters_t& counters() const { return counters_; }

private:
    struct slot_t {
        std::unique_ptr<zmq::socket_t> socket;
        std::string uuid; // the request in flight; empty when free
        std::string service;
        std::vector<std::string> partials; // 0.2 PARTIAL frames so far, stored with the FINAL
        time_point deadline;
        poll_loop_t::watch_id watch = 0;
    };
    // A service whose request timed out: wait, then probe it with one request at a time.
    struct backoff_t {
        time_point until;
        std::chrono::milliseconds delay{0};
        bool probing = false;
    };

    void open(slot_t& slot);
    void read(slot_t& slot);
    bool send(slot_t& slot, std::string& uuid, time_point now);

    const broker_sockets_t& sockets_;
    store_t& store_;
    dispatcher_config_t config_;
    std::vector<slot_t> slots_;
    std::deque<std::string> ready_;                  // committed, waiting for a free slot
    std::multimap<time_point, std::string> delayed_; // retries waiting for their time
    std::unordered_map<std::string, backoff_t> backoffs_;
    dispatcher_counters_t counters_;
    poll_loop_t* loop_ = nullptr;
    std::vector<zmq::message_t> frames_;  // reused for every message received
    std::vector<std::string_view> views_; // reused frame views
};

} // namespace zd::titanic

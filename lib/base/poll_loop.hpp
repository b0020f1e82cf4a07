// The one event loop the servers share (zd-broker, zd-journal, zd-titanic), after redis'
// ae.c: a server declares what it waits on and what to do, it does not hand-build zmq_poll
// items. The stop signal and the control socket are always watched and answered here;
// sockets and descriptors are added with a handler, timers are one deadline asked for
// before every poll, and work that follows every turn (a group commit, delivery) is one
// callback.
//
// The proxy devices keep their own hot loops (lib/proxy/proxy.cpp, lib/native/device.cpp):
// they poll two data sockets (or every peer's descriptor) whose interest flips between
// reading and writing with back-pressure every burst, and their speed beside zmq_proxy is
// what they promise (docs/BENCHMARKS.md). They move onto this loop only once a benchmark run
// shows it costs them nothing; that has not been measured yet.
//
// Not thread-safe: one loop per thread, handlers run on it.
#pragma once

#include "base/control.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>
#include <zmq.hpp>

namespace zd {

class stop_signal_t;

// What a device's loop reports to its control socket: libzmq's STATISTICS values and its
// STATS JSON object (see write_stats_header).
struct control_answers_t {
    std::function<statistics_t()> statistics;
    std::function<std::string()> stats_json;
};

class poll_loop_t {
public:
    using clock = std::chrono::steady_clock;
    using handler_t = std::function<void()>;
    // An index into the loop's watches, stable until the loop is destroyed.
    using watch_id = std::size_t;

    // stop must outlive the loop; control may be null (no --control).
    poll_loop_t(stop_signal_t& stop, control_server_t* control, control_answers_t answers);

    // Whether a watch is an input that PAUSE stops reading (a device's producers, clients).
    enum class on_pause { keep_polling, stop };

    // Watches a socket for events (ZMQ_POLLIN, ZMQ_POLLOUT) and calls on_ready when any of
    // them is signalled. The socket must outlive the loop or be replaced first (set_socket).
    watch_id add(zmq::socket_t& socket, short events, handler_t on_ready,
                 on_pause paused = on_pause::keep_polling);
    // The same for a file descriptor.
    watch_id add(int fd, short events, handler_t on_ready,
                 on_pause paused = on_pause::keep_polling);
    // Changes what a watch waits for; 0 keeps it registered but not polled (paused, full).
    void set_events(watch_id id, short events);
    // Points a watch at another socket (a reconnect made a new one), or at none (nullptr:
    // not polled until given one).
    void set_socket(watch_id id, zmq::socket_t* socket);

    // Called before every poll: the next time the loop must wake even if nothing is ready
    // (time_point::max() for never; now or earlier for "do not wait").
    void set_deadline(std::function<clock::time_point()> next_wake) {
        next_wake_ = std::move(next_wake);
    }
    // Called after the handlers on every turn, ready or not: timers, commits, delivery.
    void set_after_turn(handler_t after_turn) { after_turn_ = std::move(after_turn); }

    // Ends the loop at the end of this turn (a server that cannot go on); run returns
    // loop_exit::terminate unless a signal came first.
    void stop() { running_ = false; }

    // Runs until a stop signal (SIGINT/SIGTERM), TERMINATE on the control socket (after its
    // reply), or stop(). Retries on EINTR. Throws zmq::error_t for a poll that fails
    // otherwise.
    loop_exit run();

    // The state every device's STATS reports: PAUSE/RESUME as received, and the uptime.
    bool paused() const { return paused_; }
    std::uint64_t uptime_ms() const;

private:
    struct watch_t {
        zmq::socket_t* socket = nullptr;
        int fd = -1;
        short events = 0;
        handler_t on_ready;
        on_pause paused = on_pause::keep_polling;
    };

    long poll_timeout_ms() const;
    void answer_control();

    stop_signal_t& stop_;
    control_server_t* control_;
    control_answers_t answers_;
    std::vector<watch_t> watches_;
    std::vector<zmq_pollitem_t> items_; // rebuilt every turn from watches_
    std::vector<watch_id> polled_;      // which watch each item after the fixed ones is
    std::function<clock::time_point()> next_wake_;
    handler_t after_turn_;
    bool running_ = true;
    bool paused_ = false;
    bool terminate_ = false;
    clock::time_point started_ = clock::now();
};

} // namespace zd

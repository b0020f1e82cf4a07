// The proxy loop every plain device runs: frontend <-> backend, an optional capture socket
// that gets a copy of every frame, and the control socket.
//
// Why not zmq_proxy_steerable: it blocks in send when an output is at its high-water mark,
// so STATISTICS stalls with a stuck peer, and it counts frames, not messages. This loop
// never blocks except in zmq_poll: it drains each input in bursts with ZMQ_DONTWAIT, and
// when an output would block it parks the one frame it holds and stops reading that input
// until the output can take it (back-pressure, no loss). Outputs that cannot block
// (ROUTER with a gone or full peer) drop the message and count it.
#pragma once

#include "base/control.hpp"
#include "base/counters.hpp"
#include "base/message_gate.hpp"
#include "base/waiting_report.hpp"

#include <cstdint>
#include <memory>
#include <zmq.hpp>

namespace zd {

class json_writer_t;
class stop_signal_t;

// Sees every complete message a proxy forwards, for devices that add behaviour on top of the
// plain loop (the forwarder's last-value cache). Frames are copies (cheap: libzmq shares
// large frames by reference count).
class proxy_observer_t {
public:
    virtual ~proxy_observer_t() = default;
    virtual void forwarded_to_backend(std::vector<zmq::message_t>& message) = 0;
    // Returns whether the proxy passes the message on: false holds back a one-frame message
    // (a subscription the forwarder's cache already covers upstream); a message of several
    // frames has gone but for its last frame, so it always passes.
    virtual bool forwarded_to_frontend(std::vector<zmq::message_t>& message) = 0;
    // False if forwarded_to_backend does nothing: the proxy then copies no frame for it (the
    // forwarder's publications are its hot path; only its subscriptions are watched).
    virtual bool sees_to_backend() const { return true; }
    // Members it adds to the device's STATS object (on the proxy's thread).
    virtual void write_stats(json_writer_t& /*json*/) const {}
};

struct proxy_config_t {
    bool backward = true;        // also forward backend -> frontend (not for PULL/PUSH)
    bool frontend_drops = false; // frontend output refuses instead of blocking (ROUTER)
    bool backend_drops = false;  // backend output refuses instead of blocking
    int burst = 1000;            // messages moved per direction before polling again
    bool hides_workers = false;  // zd-queue: STATS says its DEALER hides who its workers are
};

// STATS shows what the loop holds: per side, whether a message is parked for it ("queued":
// {"frontend": {"parked": 0|1}, ...}). What libzmq queues in its own pipes is invisible here,
// and so are the peers behind a DEALER: zd-queue says "workers_known": false, "workers": [].
class proxy_t final : private waiting_report_t {
public:
    // The sockets must outlive the proxy. capture, control and observer may be null.
    proxy_t(zmq::socket_t& frontend, zmq::socket_t& backend, zmq::socket_t* capture,
            control_server_t* control, device_description_t description, proxy_config_t config);
    ~proxy_t();
    proxy_t(const proxy_t&) = delete;
    proxy_t& operator=(const proxy_t&) = delete;

    // Gates for what is read from the frontend and from the backend (either may be null):
    // a message a gate refuses is dropped whole, before capture or observer see it.
    void set_gates(message_gate_t* frontend, message_gate_t* backend);

    void set_observer(proxy_observer_t* observer) {
        observer_ = observer;
        observe_to_backend_ = observer && observer->sees_to_backend();
    }

    // Moves messages until a stop signal arrives or TERMINATE is received.
    // Throws zmq::error_t only for errors that leave the sockets unusable.
    loop_exit run(stop_signal_t& stop);

    const proxy_counters_t& counters() const { return counters_; }
    bool paused() const { return paused_; }

private:
    struct direction_t;

    control_reply_t answer(control_command command, std::string_view text);
    void write_json(json_writer_t& json) const override;
    void pump(direction_t& direction);

    device_description_t description_;
    proxy_config_t config_;
    zmq::socket_t& frontend_;
    zmq::socket_t& backend_;
    zmq::socket_t* capture_;
    control_server_t* control_;
    proxy_observer_t* observer_ = nullptr;
    bool observe_to_backend_ = false;
    proxy_counters_t counters_;
    std::unique_ptr<direction_t> forward_;  // frontend -> backend
    std::unique_ptr<direction_t> backward_; // backend -> frontend
    bool paused_ = false;
    bool terminate_ = false;
    std::uint64_t started_ms_ = 0;
};

} // namespace zd

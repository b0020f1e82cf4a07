// A Majordomo worker for applications: registers for one service with a broker, handles
// requests one at a time and answers them with what a handler returns. A broker that sends
// more than one at a time (zd-broker --worker-credit N) has the others wait here, in order.
//
// The handler runs on a thread of its own while the calling thread keeps the socket: it
// sends HEARTBEAT every interval and watches the broker's, so a slow handler never makes the
// broker declare the worker dead (zd-broker expires busy workers too), and a dead broker is
// noticed even mid-request. Only the serve() thread touches the socket.
//
// Life cycle (the zguide's mdwrkapi, plus what it lacks):
// - connect a DEALER, send READY;
// - nothing heard from the broker for heartbeat_interval x heartbeat_liveness, or a
//   DISCONNECT from it: close the socket, wait reconnect_delay, open a new one and send READY
//   again. A request being handled then is abandoned (the broker has requeued it or is gone):
//   the handler is told to cancel, its answer is thrown away, and no new READY is sent until
//   it has returned, so the worker never holds two requests;
// - stop (request_stop() or the stop descriptor): DISCONNECT, so the broker hands a request
//   in progress to another worker; the handler is told to cancel; serve() returns once it has.
#pragma once

#include "base/endpoints.hpp"
#include "base/socket_options.hpp"
#include "mdp/client.hpp"
#include "mdp/codec.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <zmq.hpp>

namespace zd::mdp {

struct worker_options_t {
    version protocol = version::v02;
    std::chrono::milliseconds heartbeat_interval{2500}; // HEARTBEAT this often when quiet;
                                                        // match the broker's
    int heartbeat_liveness = 3;                         // broker silent this many intervals
                                                        // is dead
    std::chrono::milliseconds reconnect_delay{2500};    // pause before reconnecting
    socket_options_t socket;                            // applied to every socket opened
    int stop_fd = -1; // if >= 0, serve() stops once this descriptor is readable (it does not
                      // read it; e.g. stop_signal_t::fd())
    // If true, serve() throws not_a_broker_error when a peer accepted the connection (the
    // ZMTP handshake completed) but stayed silent for heartbeat_interval x
    // heartbeat_liveness, before any broker ever sent a valid MDP message: a Majordomo
    // broker answers READY with heartbeats, a plain ROUTER or a zd-queue never does. With no
    // connection at all (nothing listening yet) the worker keeps reconnecting as usual.
    bool fail_on_silent_peer = false;
};

// Thrown by serve() (with worker_options_t::fail_on_silent_peer): the peer is not a broker.
class not_a_broker_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// What a streaming handler gets besides the request body. Its functions may be called from
// the handler's thread only, while the handler runs.
class request_context_t {
public:
    virtual ~request_context_t() = default;

    // Sends frames now as a PARTIAL reply (MDP/0.2); the handler's return value is the
    // FINAL. Ignored with MDP/0.1, which has no PARTIAL. An empty body goes as one empty
    // frame. Dropped once the request is cancelled.
    virtual void partial(frames_t frames) = 0;

    // True once the worker stops or has abandoned this request (the broker went away): the
    // handler should return soon; whatever it returns is discarded.
    virtual bool cancelled() const = 0;

    // A descriptor that becomes readable once cancelled(), for handlers that poll.
    virtual int cancel_fd() const = 0;
};

// Request body in, reply body out. An empty reply goes as one empty frame (MDP needs one).
// A handler that throws is answered with one frame "ERROR <what()>", and logged.
using handler_t = std::function<frames_t(frames_t body)>;
using streaming_handler_t = std::function<frames_t(frames_t body, request_context_t& context)>;

struct worker_counters_t {
    std::atomic<std::uint64_t> requests{0};       // requests received
    std::atomic<std::uint64_t> replies{0};        // FINALs sent
    std::atomic<std::uint64_t> partials{0};       // PARTIALs sent
    std::atomic<std::uint64_t> handler_errors{0}; // handlers that threw
    std::atomic<std::uint64_t> abandoned{0};      // requests dropped by a reconnect/stop
    std::atomic<std::uint64_t> connects{0};       // sockets opened (1 + reconnects)
    std::atomic<std::uint64_t> broker_expired{0}; // broker silent too long
    std::atomic<std::uint64_t> disconnects_received{0};
    std::atomic<std::uint64_t> malformed{0}; // invalid messages from the broker
};

class worker_t {
public:
    // Checks the arguments; connects when serve() starts. endpoints: our notation, bare
    // endpoints connect. Throws endpoint_error, or std::invalid_argument for an empty or
    // too long service name, a service starting with "mmi." or nonsensical timings.
    worker_t(zmq::context_t& context, std::string_view endpoints, std::string service,
             worker_options_t options = {});
    ~worker_t();
    worker_t(const worker_t&) = delete;
    worker_t& operator=(const worker_t&) = delete;

    // Serves requests until stopped. Returns normally on stop; throws zmq::error_t for
    // socket errors (the handler's exceptions never escape). Call from one thread at a time.
    void serve(const handler_t& handler);
    void serve(const streaming_handler_t& handler);

    // Makes serve() return (see the life cycle above). Thread-safe and signal-safe; may be
    // called before serve() (serve() then returns at once).
    void request_stop();

    const worker_counters_t& counters() const { return counters_; }
    const std::string& service() const { return service_; }

private:
    class session_t;

    zmq::context_t& context_;
    endpoint_list_t endpoints_;
    std::string service_;
    worker_options_t options_;
    int stop_event_ = -1; // eventfd written by request_stop()
    worker_counters_t counters_;
};

} // namespace zd::mdp

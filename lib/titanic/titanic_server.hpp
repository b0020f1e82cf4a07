// zd-titanic's socket side: 9/TSP (Titanic) over a zd-broker, with the requests and replies
// stored by store_t in a journal log.
//
//   clients --MDP--> broker --MDP worker--> [titanic.request x N, titanic.reply, titanic.close]
//                      ^                               | append, ONE commit, then answer
//                      |                               v
//                      +--MDP client (K DEALERs) <-- dispatcher: stored requests -> services
//
// Everything runs in one thread on one poll loop (lib/base/poll_loop): what arrives together on the
// N request worker sockets is appended together and committed with one fdatasync (group commit),
// and only then answered "200 uuid". The dispatcher sends each committed request to its service
// through the broker, one request in flight per DEALER socket (an MDP reply carries no
// request id, so one per socket is the only way a reply can never be matched to the wrong
// request); a timeout closes that socket (a late reply cannot arrive on the new one) and the
// request is retried later (MDP workers are idempotent). The final reply (with any 0.2
// PARTIALs before it) is one REP record. Protocol and guarantees: docs/TITANIC.md.
#pragma once

#include "base/endpoints.hpp"
#include "base/socket_options.hpp"
#include "journal/log.hpp"
#include "titanic/store.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <zmq.hpp>

namespace zd {
class stop_signal_t;
}

namespace zd::titanic {

struct titanic_config_t {
    journal::log_options_t log;
    int request_workers = 8;  // worker connections for titanic.request (one poll, one commit)
    int dispatch_workers = 8; // DEALER client sockets dispatching stored requests
    std::size_t max_pending = 100000; // stored requests without a reply; more are answered 500
    std::size_t batch_max = 256;      // messages read per socket per round
    std::size_t max_frames = 4096;    // frames in one message from the broker; longer ones are
                                      // dropped (zd-broker passes at most its --max-frames)
    std::chrono::milliseconds heartbeat_interval{2500}; // match the broker's
    int heartbeat_liveness = 3;                         // broker silent this long: reconnect
    std::chrono::milliseconds reconnect_delay{1000};    // after a DISCONNECT from the broker
    std::chrono::milliseconds dispatch_timeout{10000};  // wait this long for a service's reply
    std::chrono::milliseconds retry_delay{1000};        // first back-off of a service that timed
                                                        // out; doubles up to max_retry_delay
    std::chrono::milliseconds max_retry_delay{30000};
};

struct titanic_endpoints_t {
    endpoint_list_t broker;  // connect
    endpoint_list_t control; // bind (optional)
};

class titanic_server_t {
public:
    enum class exit_reason { signal, terminate, io_failure };

    // Opens and recovers the store (throws like store_t), connects to the broker and binds
    // the control endpoint (throws on bad endpoints). Recovered pending requests are queued
    // for dispatch. broker_options: the sockets to the broker (workers and dispatching
    // clients, a CURVE client of the broker's key when given); control_options: the control
    // server's.
    titanic_server_t(zmq::context_t& context, const titanic_endpoints_t& endpoints,
                     const socket_options_t& broker_options,
                     const socket_options_t& control_options, titanic_config_t config);
    ~titanic_server_t();
    titanic_server_t(const titanic_server_t&) = delete;
    titanic_server_t& operator=(const titanic_server_t&) = delete;

    // The endpoints as attached (control's wildcard port resolved).
    const titanic_endpoints_t& endpoints() const;
    // The control server's socket (there is one even without control endpoints), for
    // --metrics (ops::start_metrics): call before run(), on this thread.
    zmq::socket_t& control_socket();
    std::string recovery_summary() const;

    // Serves until a stop signal, TERMINATE, or a write/fsync failure (nothing more is
    // acknowledged after one; restart to recover).
    exit_reason run(stop_signal_t& stop);

private:
    struct impl_t;
    std::unique_ptr<impl_t> impl_;
};

} // namespace zd::titanic

// zd-journal's socket side: the producer frontend, the consumer backend, the replay socket
// and the control endpoint around one log_t (lib/journal/log.hpp), in one thread, on base's
// poll_loop_t. The roles live beside this file, each the owner of its state: producers
// (ingest, group commit, ACKs), consumers (SUB/ACK, delivery, stored offsets), replay (READ).
//
// Each turn of the loop drains what producers sent (up to --batch-max messages without
// blocking), appends it, commits once (group commit: one fdatasync for all of it), and only
// then acknowledges. Consumers and replay readers see committed records only, so an offset a
// consumer has acknowledged can never be handed out again after a crash.
// Wire protocols and guarantees: docs/JOURNAL.md.
#pragma once

#include "base/control.hpp"
#include "base/endpoints.hpp"
#include "base/socket_options.hpp"
#include "journal/consumer_offsets.hpp"
#include "journal/log.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>
#include <zmq.hpp>

namespace zd {
class stop_signal_t;
}

namespace zd::journal {

enum class frontend_kind : std::uint8_t { router, pull };     // acked producers / fire-and-forget
enum class backend_kind : std::uint8_t { router, push, pub }; // acked consumers / at-most-once

// What happens to segments a slow durable consumer still needs when retention wants them gone.
enum class slow_consumer_policy : std::uint8_t { keep, drop };

struct journal_config_t {
    log_options_t log;
    frontend_kind frontend = frontend_kind::router;
    backend_kind backend = backend_kind::router;
    std::size_t batch_max = 1000;                    // messages per group commit
    std::uint64_t batch_bytes = 8ull * 1024 * 1024;  // bytes per group commit
    std::chrono::microseconds batch_delay{0};        // wait this long for more before a commit
    std::chrono::milliseconds offsets_interval{100}; // consumer offsets written at most this often
    std::chrono::milliseconds retention_interval{1000};
    // A subscription counts as connected in STATS while its peer was heard from (SUB, ACK,
    // PING) or delivered to this recently: a ROUTER is not told that a peer left.
    std::chrono::milliseconds consumer_liveness{3000};
    slow_consumer_policy slow_consumers = slow_consumer_policy::keep;
};

struct journal_endpoints_t {
    endpoint_list_t frontend, backend, replay, control;
};

// The socket options of each side: they differ when CURVE is on (each side its own keys and
// ZAP domain, process_security_t::side).
struct journal_socket_options_t {
    socket_options_t frontend, backend, replay, control;
};

// Counters for STATS and STATISTICS.
struct journal_counters_t {
    std::uint64_t published = 0; // messages stored
    std::uint64_t published_bytes = 0;
    std::uint64_t duplicates = 0; // PUBs dropped as already stored (still acknowledged)
    std::uint64_t refused = 0;    // PUBs answered ERR (too large, ...)
    std::uint64_t gaps = 0;       // PUBs out of sequence, dropped and answered NACK
    std::uint64_t malformed = 0;  // messages that are not the protocol, dropped
    std::uint64_t acks_sent = 0;  // ACK messages to producers
    std::uint64_t commits = 0;    // group commits
    std::uint64_t delivered = 0;  // RECs sent to consumers and plain backends
    std::uint64_t delivered_bytes = 0;
    std::uint64_t redelivered = 0; // records sent again after a re-subscribe
    std::uint64_t consumer_acks = 0;
    std::uint64_t replayed = 0;      // RECs sent to replay readers
    std::uint64_t undeliverable = 0; // sends to a peer that is gone
    std::uint64_t disk_full_events = 0;
    std::uint64_t messages_in = 0, bytes_in = 0; // every message read on any socket
    std::uint64_t messages_out = 0, bytes_out = 0;
};

class journal_server_t {
public:
    // Opens and recovers the log, creates and attaches the sockets, each side with its own
    // options. Throws on set-up errors: bad endpoint, address in use, corruption_error from
    // recovery, a locked directory.
    journal_server_t(zmq::context_t& context, const journal_endpoints_t& endpoints,
                     const journal_socket_options_t& options, const journal_config_t& config);
    ~journal_server_t();

    // The endpoints as attached (wildcard ports resolved).
    const journal_endpoints_t& endpoints() const { return endpoints_; }
    const recovery_report_t& recovery() const;
    // The control server's socket (there is one even without control endpoints), for
    // --metrics (ops::start_metrics): call before run(), on this thread.
    zmq::socket_t& control_socket();

    enum class exit_reason { signal, terminate, io_failure };
    // Serves until a stop signal, TERMINATE, or a write/fsync failure (then nothing more is
    // acknowledged; the caller exits non-zero and recovery at restart decides what survived).
    exit_reason run(stop_signal_t& stop);

    const journal_counters_t& counters() const;

private:
    void watch_peers(zmq::context_t& context);

    struct impl_t;
    std::unique_ptr<impl_t> impl_;
    journal_endpoints_t endpoints_;
};

} // namespace zd::journal

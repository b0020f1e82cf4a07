#include "ops/metric_table.hpp"

#include <array>

namespace zd::ops {

namespace {

using enum member_use;

constexpr std::string_view configuration = "configuration, not a measurement";

// The help texts shared by every member that maps to the same metric: one name, one
// meaning, one HELP (tests/ops checks that they agree).
constexpr std::string_view received_messages = "Messages read from a side's socket.";
constexpr std::string_view received_bytes = "Bytes of the messages read from a side's socket.";
constexpr std::string_view sent_messages = "Messages a side's socket accepted for sending.";
constexpr std::string_view sent_bytes = "Bytes of the messages a side's socket accepted.";
constexpr std::string_view dropped_messages =
    "Messages dropped because a side's output refused them (a full or gone peer).";
constexpr std::string_view log_first = "Offset of the oldest record still in the log.";
constexpr std::string_view log_next = "Offset the next record appended to the log gets.";
constexpr std::string_view log_durable = "Offset below which every record is on disk.";
constexpr std::string_view log_size = "Bytes of the log's segment files.";

// The header every STATS opens with (write_stats_header), then each device's members.
constexpr std::array table{
    // Header.
    metric_entry_t{"device", device_label, "device", "the program: labels every sample"},
    metric_entry_t{"version", info_label, "version", ""},
    metric_entry_t{"pid", not_a_metric, "",
                   "an identity, not a measurement: a restart shows "
                   "as zd_uptime_seconds falling"},
    metric_entry_t{"uptime_ms",
                   gauge,
                   "zd_uptime_seconds",
                   "Seconds since the device started.",
                   {},
                   {},
                   unit_conversion::milliseconds_to_seconds},
    metric_entry_t{"state", state, "zd_state",
                   "1 for the device's current state (running, paused, disk_full, failed)."},

    // zd-queue, zd-forwarder, zd-streamer (stats_json in lib/base/control.cpp). A direction's
    // input is one side and its output the other, so each number is labelled with the side
    // whose socket did it, as libzmq's STATISTICS does.
    metric_entry_t{"engine", info_label, "engine", ""},
    metric_entry_t{"frontend.type", not_a_metric, "", configuration},
    metric_entry_t{"frontend.endpoints", not_a_metric, "", configuration},
    metric_entry_t{"backend.type", not_a_metric, "", configuration},
    metric_entry_t{"backend.endpoints", not_a_metric, "", configuration},
    metric_entry_t{"capture.endpoints", not_a_metric, "", configuration},
    metric_entry_t{"capture.messages", counter, "zd_captured_messages_total",
                   "Copies of messages the capture socket took."},
    metric_entry_t{"capture.dropped_messages", counter, "zd_capture_dropped_messages_total",
                   "Copies of messages the capture socket could not take."},
    metric_entry_t{"control", not_a_metric, "", configuration},
    metric_entry_t{"frontend_to_backend.received_messages", counter, "zd_received_messages_total",
                   received_messages, "side", "frontend"},
    metric_entry_t{"frontend_to_backend.received_bytes", counter, "zd_received_bytes_total",
                   received_bytes, "side", "frontend"},
    metric_entry_t{"frontend_to_backend.sent_messages", counter, "zd_sent_messages_total",
                   sent_messages, "side", "backend"},
    metric_entry_t{"frontend_to_backend.sent_bytes", counter, "zd_sent_bytes_total", sent_bytes,
                   "side", "backend"},
    metric_entry_t{"frontend_to_backend.dropped_messages", counter, "zd_dropped_messages_total",
                   dropped_messages, "side", "backend"},
    metric_entry_t{"backend_to_frontend.received_messages", counter, "zd_received_messages_total",
                   received_messages, "side", "backend"},
    metric_entry_t{"backend_to_frontend.received_bytes", counter, "zd_received_bytes_total",
                   received_bytes, "side", "backend"},
    metric_entry_t{"backend_to_frontend.sent_messages", counter, "zd_sent_messages_total",
                   sent_messages, "side", "frontend"},
    metric_entry_t{"backend_to_frontend.sent_bytes", counter, "zd_sent_bytes_total", sent_bytes,
                   "side", "frontend"},
    metric_entry_t{"backend_to_frontend.dropped_messages", counter, "zd_dropped_messages_total",
                   dropped_messages, "side", "frontend"},

    // Who is connected (lib/base/peer_table.cpp), every device but zd-journal and
    // zd-titanic: per side ("frontend", "backend"; zd-broker's "endpoint"; zd-link's
    // "near", "far").
    metric_entry_t{"peers", collection, "side", ""},
    metric_entry_t{"peers.*.connected", gauge, "zd_peers_connected",
                   "Connections open now on a side (counted from accept/connect to close)."},
    metric_entry_t{"peers.*.connections", counter, "zd_peer_connections_total",
                   "Connections opened on a side."},
    metric_entry_t{"peers.*.disconnections", counter, "zd_peer_disconnections_total",
                   "Connections closed on a side."},
    metric_entry_t{"peers.*.handshake_failures", counter, "zd_handshake_failures_total",
                   "Connections that ended before their ZMTP handshake completed."},
    metric_entry_t{"peers.*.addresses", not_a_metric, "", "the peers' addresses (text)"},
    metric_entry_t{"peers.*.addresses_not_listed", not_a_metric, "",
                   "how many addresses the list left out: zd_peers_connected counts them all"},

    // What waits inside a proxy device's engine, per side (lib/proxy/proxy.cpp: the libzmq
    // engine's parked message; lib/native/device.cpp: what the native engine queued).
    metric_entry_t{"queued", collection, "side", ""},
    metric_entry_t{"queued.*.parked", gauge, "zd_parked_messages",
                   "Messages (0 or 1) the libzmq engine holds for a side because its socket "
                   "would block; libzmq's own queues are not visible."},
    metric_entry_t{"queued.*.queued_messages", gauge, "zd_queued_messages",
                   "Messages the native engine queued for a side's peers, not yet written."},
    metric_entry_t{"queued.*.queued_bytes", gauge, "zd_queued_bytes",
                   "Bytes the native engine queued for a side's peers, not yet written."},

    // zd-queue's workers (lib/native/queue.cpp; the libzmq engine's DEALER hides them).
    metric_entry_t{"workers_known", gauge, "zd_queue_workers_known",
                   "1 if the engine knows the queue's workers (native), 0 if its DEALER hides "
                   "them (libzmq)."},
    metric_entry_t{"workers", collection, "worker", "", {}, {}, unit_conversion::none, "address"},
    metric_entry_t{"workers[].address", not_a_metric, "", "the worker label"},
    metric_entry_t{"workers[].in_flight", gauge, "zd_queue_worker_in_flight_requests",
                   "Requests handed to the worker minus replies from it."},
    metric_entry_t{"workers[].sent", counter, "zd_queue_worker_requests_total",
                   "Requests handed to the worker."},
    metric_entry_t{"workers[].replied", counter, "zd_queue_worker_replies_total",
                   "Replies read from the worker."},
    metric_entry_t{"workers_not_listed", gauge, "zd_queue_workers_not_listed",
                   "Workers connected beyond the 100 STATS lists (not in the per-worker "
                   "metrics)."},

    // zd-forwarder's subscriptions (lib/base/subscription_table.cpp).
    metric_entry_t{"subscriptions.count", gauge, "zd_forwarder_subscriptions",
                   "Distinct topics at least one downstream subscriber subscribes to."},
    // zd-forwarder's last-value cache (lib/proxy/last_value_cache.cpp).
    metric_entry_t{"last_value_cache.topics", gauge, "zd_forwarder_lvc_topics",
                   "Topics whose latest message the last-value cache holds."},
    metric_entry_t{"last_value_cache.max_topics", gauge, "zd_forwarder_lvc_max_topics",
                   "The last-value cache's bound (--lvc-max-topics)."},
    metric_entry_t{"last_value_cache.evicted", counter, "zd_forwarder_lvc_evicted_topics_total",
                   "Topics forgotten to make room for new ones (least recently updated first)."},

    // zd-broker (lib/mdp/broker_server.cpp, broker_output.cpp): its one ROUTER is side
    // "endpoint"; broker-wide counts, then per service (names of their own, so summing a
    // metric over its labels never counts a request twice).
    metric_entry_t{"endpoints", not_a_metric, "", configuration},
    metric_entry_t{"messages_in", counter, "zd_received_messages_total", received_messages, "side",
                   "endpoint"},
    metric_entry_t{"bytes_in", counter, "zd_received_bytes_total", received_bytes, "side",
                   "endpoint"},
    metric_entry_t{"messages_out", counter, "zd_sent_messages_total", sent_messages, "side",
                   "endpoint"},
    metric_entry_t{"broker.clients", gauge, "zd_broker_clients", "Clients the broker knows now."},
    metric_entry_t{"broker.workers", gauge, "zd_broker_workers",
                   "Workers registered with the broker now."},
    metric_entry_t{"broker.services_known", gauge, "zd_broker_services",
                   "Services the broker knows now."},
    metric_entry_t{"broker.requests", counter, "zd_broker_requests_total",
                   "Client requests received (MMI included)."},
    metric_entry_t{"broker.replies", counter, "zd_broker_replies_total",
                   "Final replies delivered to clients."},
    metric_entry_t{"broker.partials", counter, "zd_broker_partials_total",
                   "Partial replies (MDP/0.2) delivered to clients."},
    metric_entry_t{"broker.dropped_partials", counter, "zd_broker_dropped_partials_total",
                   "Partial replies dropped: an MDP/0.1 client cannot take them."},
    metric_entry_t{"broker.unroutable_replies", counter, "zd_broker_unroutable_replies_total",
                   "Replies dropped: their client was gone or full."},
    metric_entry_t{"broker.protocol_errors", counter, "zd_broker_protocol_errors_total",
                   "Invalid MDP messages dropped."},
    metric_entry_t{"broker.disconnects_sent", counter, "zd_broker_disconnects_sent_total",
                   "DISCONNECTs sent to workers for unexpected commands."},
    metric_entry_t{"broker.rejected", counter, "zd_broker_rejected_requests_total",
                   "Requests refused at a limit (queue bytes, queue length, services)."},
    metric_entry_t{"broker.expired", counter, "zd_broker_expired_requests_total",
                   "Requests that waited longer than --request-timeout."},
    metric_entry_t{"broker.retried", counter, "zd_broker_retried_requests_total",
                   "Requests dispatched again after their worker died."},
    metric_entry_t{"broker.failed", counter, "zd_broker_failed_requests_total",
                   "Requests dropped after --max-retries dead workers."},
    metric_entry_t{"broker.abandoned", counter, "zd_broker_abandoned_requests_total",
                   "Queued requests dropped because their client left."},
    metric_entry_t{"broker.workers_expired", counter, "zd_broker_expired_workers_total",
                   "Workers removed for missing heartbeats."},
    metric_entry_t{"broker.services", collection, "service", ""},
    metric_entry_t{"broker.services.*.queued", gauge, "zd_broker_service_queued_requests",
                   "Requests waiting for a worker of the service."},
    metric_entry_t{"broker.services.*.queued_bytes", gauge, "zd_broker_service_queued_bytes",
                   "Bytes of the service's waiting requests, as --max-queue-bytes counts them."},
    metric_entry_t{"broker.services.*.in_flight", gauge, "zd_broker_service_in_flight_requests",
                   "Requests of the service held by workers now."},
    metric_entry_t{"broker.services.*.workers", gauge, "zd_broker_service_workers",
                   "Workers of the service."},
    metric_entry_t{"broker.services.*.idle_workers", gauge, "zd_broker_service_idle_workers",
                   "Workers of the service waiting for a request."},
    metric_entry_t{"broker.services.*.served", counter, "zd_broker_service_served_requests_total",
                   "Requests of the service answered by a worker."},
    metric_entry_t{"broker.services.*.expired", counter, "zd_broker_service_expired_requests_total",
                   "Requests of the service that waited longer than --request-timeout."},
    metric_entry_t{"broker.services.*.retried", counter, "zd_broker_service_retried_requests_total",
                   "Requests of the service dispatched again after their worker died."},
    metric_entry_t{"broker.services.*.failed", counter, "zd_broker_service_failed_requests_total",
                   "Requests of the service dropped after --max-retries dead workers."},
    metric_entry_t{"broker.services.*.rejected", counter,
                   "zd_broker_service_rejected_requests_total",
                   "Requests of the service refused at a limit."},

    // The journal log of zd-journal and zd-titanic (lib/journal/server/journal_server.cpp,
    // lib/titanic/titanic_server.cpp).
    metric_entry_t{"log.dir", not_a_metric, "", configuration},
    metric_entry_t{"log.recovery", not_a_metric, "",
                   "a sentence on what recovery did at start; the log says it too"},
    metric_entry_t{"log.first_offset", gauge, "zd_log_first_offset", log_first},
    metric_entry_t{"log.next_offset", gauge, "zd_log_next_offset", log_next},
    metric_entry_t{"log.durable_next", gauge, "zd_log_durable_next_offset", log_durable},
    metric_entry_t{"log.size_bytes", gauge, "zd_log_size_bytes", log_size},
    metric_entry_t{"log.keep_from", gauge, "zd_log_keep_from_offset",
                   "Lowest offset still needed; retention deletes whole segments below it."},
    metric_entry_t{"log.live_bytes", gauge, "zd_log_live_bytes",
                   "Bytes of the records still needed."},
    metric_entry_t{"log.copied_forward", counter, "zd_log_copied_forward_records_total",
                   "Records copied forward by retention."},

    // zd-journal.
    metric_entry_t{"counters.published", counter, "zd_journal_published_messages_total",
                   "Messages stored from producers."},
    metric_entry_t{"counters.published_bytes", counter, "zd_journal_published_bytes_total",
                   "Bytes of the messages stored from producers."},
    metric_entry_t{"counters.duplicates", counter, "zd_journal_duplicate_messages_total",
                   "Messages dropped as already stored (still acknowledged)."},
    metric_entry_t{"counters.gaps", counter, "zd_journal_gaps_total",
                   "Messages out of sequence, dropped and answered NACK."},
    metric_entry_t{"counters.refused", counter, "zd_journal_refused_messages_total",
                   "Messages refused with ERR (too large, ...)."},
    metric_entry_t{"counters.malformed", counter, "zd_journal_malformed_messages_total",
                   "Messages that break the protocol, dropped."},
    metric_entry_t{"counters.acks_sent", counter, "zd_journal_acks_sent_total",
                   "ACKs sent to producers."},
    metric_entry_t{"counters.commits", counter, "zd_journal_commits_total",
                   "Group commits of the log."},
    metric_entry_t{"counters.delivered", counter, "zd_journal_delivered_records_total",
                   "Records sent to consumers and plain backends."},
    metric_entry_t{"counters.redelivered", counter, "zd_journal_redelivered_records_total",
                   "Records sent again after a consumer subscribed again."},
    metric_entry_t{"counters.consumer_acks", counter, "zd_journal_consumer_acks_total",
                   "ACKs received from consumers."},
    metric_entry_t{"counters.replayed", counter, "zd_journal_replayed_records_total",
                   "Records sent to readers on the replay socket."},
    metric_entry_t{"counters.undeliverable", counter, "zd_journal_undeliverable_records_total",
                   "Sends to a peer that was gone."},
    metric_entry_t{"counters.disk_full_events", counter, "zd_journal_disk_full_events_total",
                   "Times the disk was full and producers had to wait."},
    metric_entry_t{"consumers", collection, "consumer", "", {}, {}, unit_conversion::none, "name"},
    metric_entry_t{"consumers[].name", not_a_metric, "", "the consumer label"},
    metric_entry_t{"consumers[].acked_next", gauge, "zd_journal_consumer_acked_next_offset",
                   "Offset below which the named consumer acknowledged every record."},
    metric_entry_t{"consumers[].connected", gauge, "zd_journal_consumer_connected",
                   "1 while the named consumer is subscribed, else 0."},
    metric_entry_t{"consumers[].position", gauge, "zd_journal_consumer_position_offset",
                   "Offset of the next record delivered to the connected consumer."},
    metric_entry_t{"consumers[].window", gauge, "zd_journal_consumer_window_records",
                   "Records the connected consumer may hold unacknowledged."},
    metric_entry_t{"consumers[].silent_ms",
                   gauge,
                   "zd_journal_consumer_silent_seconds",
                   "Time since the named consumer's session last showed signs of life.",
                   {},
                   {},
                   unit_conversion::milliseconds_to_seconds},
    metric_entry_t{"plain_backend.next", gauge, "zd_journal_plain_backend_next_offset",
                   "Offset of the next record the push/pub backend hands to its socket."},
    metric_entry_t{"plain_backend.stored", gauge, "zd_journal_plain_backend_stored_offset",
                   "The push/pub backend's durable position: where it resumes after a restart."},
    metric_entry_t{"readers", gauge, "zd_journal_readers", "Readers on the replay socket now."},

    // zd-link (lib/journal/link/journal_link.cpp).
    metric_entry_t{"name", not_a_metric, "", configuration},
    metric_entry_t{"link.near.endpoint", not_a_metric, "", configuration},
    metric_entry_t{"link.near.acked", gauge, "zd_link_near_acked_offset",
                   "Last near journal offset acknowledged: it and every record before it are "
                   "stored far away."},
    metric_entry_t{"link.near.subscriptions", counter, "zd_link_near_subscriptions_total",
                   "SUBs sent to the near journal (the first, and after silence or a restart)."},
    metric_entry_t{"link.near.duplicates_dropped", counter, "zd_link_near_duplicate_records_total",
                   "Records the near journal sent again after a SUB, dropped by offset."},
    metric_entry_t{"link.far.endpoint", not_a_metric, "", configuration},
    metric_entry_t{"link.far.up", gauge, "zd_link_far_up",
                   "1 while the far journal has answered within the last 3 s, else 0."},
    metric_entry_t{"link.window.limit", gauge, "zd_link_window_limit_records",
                   "Records the link may hold (--window)."},
    metric_entry_t{"link.window.held", gauge, "zd_link_held_records",
                   "Records taken from the near journal and not yet acknowledged to it."},
    metric_entry_t{"link.window.in_flight", gauge, "zd_link_in_flight_records",
                   "Records published to the far journal and not yet acknowledged by it."},
    metric_entry_t{"link.window.waiting", gauge, "zd_link_waiting_records",
                   "Records held and not yet published to the far journal."},
    metric_entry_t{"link.backlog", not_a_metric, "",
                   "unknown to a consumer: the near journal's STATS has it"},
    metric_entry_t{"link.counters.received", counter, "zd_link_received_records_total",
                   "Records taken from the near journal."},
    metric_entry_t{"link.counters.forwarded", counter, "zd_link_forwarded_records_total",
                   "Records the far journal acknowledged."},
    metric_entry_t{"link.counters.published", counter, "zd_link_published_messages_total",
                   "PUBs handed to the far journal's socket, resends included."},
    metric_entry_t{"link.counters.republished", counter, "zd_link_republished_messages_total",
                   "PUBs sent again after a NACK or a stall."},
    metric_entry_t{"link.counters.anonymous", counter, "zd_link_anonymous_records_total",
                   "Records without a producer id, published under the link's fallback id."},
    metric_entry_t{"link.counters.nacks", counter, "zd_link_nacks_total",
                   "NACKs from the far journal that made the link resend."},
    metric_entry_t{"link.counters.stalls", counter, "zd_link_stalls_total",
                   "Rounds of resending everything in flight after no far ACK progress."},
    metric_entry_t{"link.counters.near_acks", counter, "zd_link_near_acks_total",
                   "Times the acknowledged near offset moved."},
    metric_entry_t{"link.counters.far_unavailable", counter, "zd_link_far_unavailable_total",
                   "ERR 503 answers from the far journal."},
    metric_entry_t{"link.counters.far_malformed", counter, "zd_link_far_malformed_messages_total",
                   "Messages from the far journal the link did not understand."},

    // zd-titanic.
    metric_entry_t{"broker", not_a_metric, "", configuration},
    metric_entry_t{"titanic.pending", gauge, "zd_titanic_pending_requests",
                   "Stored requests without a reply."},
    metric_entry_t{"titanic.replied", gauge, "zd_titanic_unclosed_replies",
                   "Stored replies their client has not closed."},
    metric_entry_t{"titanic.ready", gauge, "zd_titanic_ready_requests",
                   "Pending requests waiting for a dispatch socket."},
    metric_entry_t{"titanic.delayed", gauge, "zd_titanic_delayed_requests",
                   "Pending requests waiting to be retried."},
    metric_entry_t{"titanic.in_flight", gauge, "zd_titanic_in_flight_requests",
                   "Requests dispatched to their service, reply not yet back."},
    metric_entry_t{"titanic.requests", counter, "zd_titanic_requests_total",
                   "titanic.* requests received."},
    metric_entry_t{"titanic.stored", counter, "zd_titanic_stored_requests_total",
                   "Requests stored (answered 200)."},
    metric_entry_t{"titanic.replies_stored", counter, "zd_titanic_stored_replies_total",
                   "Replies of services stored."},
    metric_entry_t{"titanic.closed", counter, "zd_titanic_closed_requests_total",
                   "titanic.close of a known request."},
    metric_entry_t{"titanic.dispatched", counter, "zd_titanic_dispatches_total",
                   "Requests sent to their service (retries included)."},
    metric_entry_t{"titanic.retries", counter, "zd_titanic_retries_total",
                   "Dispatches that were retries."},
    metric_entry_t{"titanic.timeouts", counter, "zd_titanic_timeouts_total",
                   "Dispatches that got no reply within --dispatch-timeout."},
    metric_entry_t{"titanic.commits", counter, "zd_titanic_commits_total", "Commits of the log."},
    metric_entry_t{"titanic.answers", counter, "zd_titanic_answers_total",
                   "Answers sent to titanic.* requests."},
    metric_entry_t{"titanic.dropped_answers", counter, "zd_titanic_dropped_answers_total",
                   "Answers for a connection that closed meanwhile or was full."},
    metric_entry_t{"titanic.served", counter, "zd_titanic_served_replies_total",
                   "titanic.reply answered 200 (the reply)."},
    metric_entry_t{"titanic.pending_answers", counter, "zd_titanic_pending_answers_total",
                   "titanic.reply answered 300 (not yet)."},
    metric_entry_t{"titanic.unknown", counter, "zd_titanic_unknown_requests_total",
                   "titanic.reply answered 400 (unknown request)."},
    metric_entry_t{"titanic.refused", counter, "zd_titanic_refused_requests_total",
                   "titanic.request answered 500 (--max-pending reached)."},
    metric_entry_t{"titanic.malformed", counter, "zd_titanic_malformed_requests_total",
                   "Malformed titanic.* requests (answered 400)."},
    metric_entry_t{"titanic.stray_replies", counter, "zd_titanic_stray_replies_total",
                   "Client-side messages that answer nothing."},
    metric_entry_t{"titanic.discarded_replies", counter, "zd_titanic_discarded_replies_total",
                   "Replies for requests already closed."},
    metric_entry_t{"titanic.oversized_replies", counter, "zd_titanic_oversized_replies_total",
                   "Replies too large to store."},
    metric_entry_t{"titanic.broker_malformed", counter,
                   "zd_titanic_broker_malformed_messages_total",
                   "Messages from the broker that are not MDP/0.2."},
    metric_entry_t{"titanic.broker_reconnects", counter, "zd_titanic_broker_reconnects_total",
                   "Connections to the broker reopened."},
    metric_entry_t{"titanic.broker_links", gauge, "zd_titanic_broker_links",
                   "Worker connections to the broker (titanic.request x N, reply, close)."},
    metric_entry_t{"titanic.broker_links_live", gauge, "zd_titanic_broker_links_live",
                   "Worker connections on which the broker has spoken since they opened."},
    metric_entry_t{"titanic.segments_deleted", counter, "zd_titanic_deleted_segments_total",
                   "Log segments deleted by retention."},
    metric_entry_t{"titanic.disk_full_events", counter, "zd_titanic_disk_full_events_total",
                   "Times the disk was full and Titanic stopped reading."},
};

constexpr std::array states{std::string_view("running"), std::string_view("paused"),
                            std::string_view("disk_full"), std::string_view("failed")};

} // namespace

std::span<const metric_entry_t> metric_table() {
    return table;
}

const metric_entry_t* find_metric_entry(std::string_view path) {
    for (const auto& entry : table)
        if (entry.path == path) return &entry;
    return nullptr;
}

std::span<const std::string_view> known_states() {
    return states;
}

} // namespace zd::ops

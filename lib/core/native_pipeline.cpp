#include "core/native_pipeline.hpp"

#include <algorithm>

namespace zd {

// The next consumer, round robin, that has finished its handshake and is under its
// high-water mark (--hwm, in messages; 0 means no mark); no_consumer if none is.
std::size_t native_pipeline_t::pick_consumer() const {
    const auto& consumers = device_.backend().peers;
    const int hwm = device_.options().send_hwm;
    const std::size_t mark = hwm > 0 ? std::size_t(hwm) : std::numeric_limits<std::size_t>::max();
    for (std::size_t tried = 0; tried < consumers.size(); ++tried) {
        const std::size_t index = (next_consumer_ + tried) % consumers.size();
        const auto& connection = *consumers[index]->connection;
        if (connection.ready() && !connection.broken() && connection.queued_messages() < mark)
            return index;
    }
    return no_consumer;
}

// Moves every whole message a producer has buffered to consumers, as long as one has room.
void native_pipeline_t::forward_from(native_peer_t& producer) {
    auto& in = *producer.connection;
    direction_counters_t& way = device_.counters().frontend_to_backend;
    while (true) {
        const std::size_t consumer = pick_consumer();
        if (consumer == no_consumer) {
            producer.held = true; // read no more from it until a consumer has room
            return;
        }
        if (!in.next_message(frames_)) break;
        next_consumer_ = consumer + 1;
        const std::uint64_t bytes = message_bytes(frames_);
        ++way.received_messages;
        way.received_bytes += bytes;
        device_.capture(frames_);
        device_.backend().peers[consumer]->connection->queue_message(frames_);
        ++way.sent_messages;
        way.sent_bytes += bytes;
    }
    producer.held = false;
}

// Consumers send nothing but commands (answered inside next_message); a message from one
// is not ours to forward, and reading it keeps its buffer from growing.
void native_pipeline_t::discard_consumer_input() {
    for (auto& consumer : device_.backend().peers)
        while (consumer->connection->next_message(frames_)) {
        }
}

// The fair queue: every producer in turn, starting one further each time.
void native_pipeline_t::forward() {
    discard_consumer_input();
    auto& producers = device_.frontend().peers;
    if (device_.paused() || producers.empty()) return;
    for (std::size_t turn = 0; turn < producers.size(); ++turn) {
        native_peer_t& producer = *producers[(next_producer_ + turn) % producers.size()];
        if (producer.connection->ready() && !producer.connection->broken()) forward_from(producer);
    }
    next_producer_ = (next_producer_ + 1) % producers.size();
}

// Writing to consumers can make room for a held producer's messages: go on until every
// producer is drained or every consumer is full.
bool native_pipeline_t::forward_again() const {
    if (device_.paused() || pick_consumer() == no_consumer) return false;
    const auto& producers = device_.frontend().peers;
    return std::any_of(producers.begin(), producers.end(), [](const auto& producer) {
        return producer->held && !producer->connection->broken();
    });
}

} // namespace zd

#include "native/streamer.hpp"

namespace zd {

// Consumers send nothing but commands (answered inside next_message); a message from one
// is not ours to forward, and reading it keeps its buffer from growing.
void native_streamer_t::discard_consumer_input() {
    for (auto& consumer : device_.backend().peers)
        while (consumer->connection->next_message(frames_)) {
        }
}

void native_streamer_t::forward() {
    discard_consumer_input();
    if (device_.paused()) return;
    producers_.visit(device_.frontend(), [this](native_peer_t& producer) {
        relay_round_robin(device_, producer, device_.backend(), consumers_,
                          device_.counters().frontend_to_backend, {}, frames_);
    });
}

// Writing to consumers can make room for a held producer's messages: go on until every
// producer is drained or every consumer is full.
bool native_streamer_t::forward_again() const {
    return !device_.paused() && any_held(device_.frontend()) &&
           consumers_.pick(device_.backend(), device_.send_mark()) != native_round_robin_t::none;
}

} // namespace zd

// zd-streamer's routing on the native engine (native/device.hpp): PULL -> PUSH.
// Producers are fair-queued (each turn of the loop visits them in turn, starting one further
// each time); each whole message goes to the next consumer in round robin that has finished
// its handshake and holds fewer than --hwm messages not yet written to its socket. When no
// consumer has room, the producer being served is held (not read) until one has: back-
// pressure, nothing dropped. Messages are copied once, from the producer's read buffer into
// the consumer's output buffer.
#pragma once

#include "native/device.hpp"

#include <cstddef>
#include <string_view>
#include <vector>

namespace zd {

class native_streamer_t final : public native_routing_t {
public:
    // The device's frontend must be of type PULL and its backend PUSH.
    explicit native_streamer_t(native_device_t& device) : device_(device) {}

    void peer_ready(native_side_t&, native_peer_t&) override {}
    void peer_gone(native_side_t&, native_peer_t&) override {}
    void forward() override;
    bool forward_again() const override;

private:
    void discard_consumer_input();

    native_device_t& device_;
    native_round_robin_t consumers_;
    native_fair_queue_t producers_;
    std::vector<std::string_view> frames_; // the message being forwarded
};

} // namespace zd

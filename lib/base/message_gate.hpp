// What a device's loop asks before it forwards a message read from a side: whether the
// message may pass (lib/security's revocation_guard_t drops a revoked key's traffic and cuts
// its connection). A loop without gates asks nothing.
#pragma once

#include <zmq.h>

namespace zd {

class message_gate_t {
public:
    virtual ~message_gate_t() = default;
    // Whether the message this first frame starts may pass; false: the loop drops the whole
    // message (the gate has counted it).
    virtual bool admits(zmq_msg_t& first_frame) = 0;
    // Each further frame of a message, whatever admits said (a ROUTER's first frame is the
    // routing id it made, which does not say which connection the message came from).
    virtual void next_frame(zmq_msg_t& frame) = 0;
    // Called every turn of the loop, and at least every check_interval_ms while idle.
    virtual void check() = 0;
    static constexpr int check_interval_ms = 250;
};

} // namespace zd

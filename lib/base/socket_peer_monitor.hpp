// Peer events of libzmq sockets: libzmq tells who connects through a socket monitor
// (zmq_socket_monitor, an inproc PAIR per socket); this watches a device's sockets from a
// thread of its own, so the device's hot loop polls nothing more, and turns the monitor's
// messages into peer_event_t. Addresses come from getpeername() on the descriptor the
// ACCEPTED/CONNECTED event carries, read as the event arrives: if the connection closed and
// its descriptor was reused in between (rare), the address can be another peer's.
//
// Lifetime: libzmq's end of a monitor blocks the thread that reports an event (an I/O
// thread) while no reader is connected, so monitoring must stop before our reader goes. The
// destructor stops every socket's monitor first, on the owner's thread; hence the watched
// sockets must outlive this object (declare it after them).
#pragma once

#include "base/peer_event.hpp"

#include <atomic>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

namespace zd {

// The libzmq monitor events that are peer events, for a socket's own zmq_socket_monitor call
// (a socket has one monitor: a server that reads its own, as zd-broker does, asks for these).
constexpr int peer_monitor_events = ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_CONNECTED |
                                    ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                                    ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                                    ZMQ_EVENT_HANDSHAKE_FAILED_AUTH;

// Decodes a monitor message (its two frames: [event uint16 | value uint32], our endpoint) of
// socket side `side`; false for a malformed message or an event that is not a peer event.
// A connection's address is read with getpeername() now.
bool decode_peer_event(const zmq::message_t& event, const zmq::message_t& endpoint,
                       std::size_t side, peer_event_t& decoded);

class socket_peer_monitor_t {
public:
    // listener gets every event, on the monitor thread. The context must outlive this.
    socket_peer_monitor_t(zmq::context_t& context, peer_listener_t listener);
    // Stops monitoring every watched socket (from the calling thread, which must own them),
    // then stops and joins the thread.
    ~socket_peer_monitor_t();
    socket_peer_monitor_t(const socket_peer_monitor_t&) = delete;
    socket_peer_monitor_t& operator=(const socket_peer_monitor_t&) = delete;

    // Watches socket as side `side`. Call from the thread that owns the socket, before it
    // binds or connects (so no connection is missed) and before start(). The socket must
    // outlive this object. Throws zmq::error_t if libzmq refuses.
    void watch(zmq::socket_t& socket, std::size_t side);

    // Forgets a watched socket that was closed before start() (its owner failed to finish
    // setting it up and closed it), without touching it: libzmq stopped its monitor when it
    // closed. socket is only compared, never used.
    void forget_closed(const zmq::socket_t* socket);

    // Starts the thread that reads the monitors. Call once, after every watch().
    void start();

private:
    struct watched_t {
        zmq::socket_t* socket; // the device's
        zmq::socket_t monitor; // PAIR connected to libzmq's monitor of it
        std::size_t side;
    };

    void run();

    zmq::context_t& context_;
    peer_listener_t listener_;
    std::string stop_address_;
    std::vector<watched_t> watched_; // closed after the thread ends (declared before it)
    zmq::socket_t stop_;             // PAIR: one message tells the thread to end
    std::thread thread_;
};

} // namespace zd

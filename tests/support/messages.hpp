// Message helpers for tests: every receive has a timeout, so a message that never comes
// fails the test instead of hanging it, and a connection can be waited for as an event.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>
#include <zmq.hpp>

namespace zd::test {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

using frames_t = std::vector<std::string>;

// Sends frames as one message (blocking). Throws std::runtime_error if the socket refuses.
void send_multipart(zmq::socket_t& socket, const frames_t& frames);

// Receives one whole message, waiting at most timeout for its first frame; nullopt if none
// came. Never returns part of a message.
std::optional<frames_t> recv_multipart(zmq::socket_t& socket, milliseconds timeout = 2s);

// True if a message is waiting on socket within timeout (it stays there).
bool readable_within(zmq::socket_t& socket, milliseconds timeout);

// Sends command on a fresh REQ socket connected to address and returns the reply frames.
// Throws std::runtime_error if no reply comes within timeout.
frames_t control_request(zmq::context_t& context, const std::string& address,
                         const std::string& command, milliseconds timeout = 2s);

// A frame that holds a native-endian uint64 (STATISTICS replies) as its value.
std::uint64_t frame_to_uint64(const std::string& frame);

// Watches a socket's connections through libzmq's monitor, so a test can wait until its
// peers are really attached instead of guessing with a sleep. Create it before connecting.
class connection_watch_t {
public:
    connection_watch_t(zmq::context_t& context, zmq::socket_t& socket);
    ~connection_watch_t();
    connection_watch_t(const connection_watch_t&) = delete;
    connection_watch_t& operator=(const connection_watch_t&) = delete;

    // Waits until count ZMTP handshakes have succeeded in total since construction.
    // Returns false if the timeout passes first.
    bool wait_handshakes(int count, milliseconds timeout = 5s);

private:
    zmq::socket_t& watched_;
    zmq::socket_t events_;
    int handshakes_ = 0;
};

} // namespace zd::test

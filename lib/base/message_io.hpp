// Receiving one whole message from a libzmq socket without waiting: what every server, client
// and tool does when its socket is readable. libzmq delivers a message whole, so once its
// first frame is here the rest is too.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>
#include <zmq.hpp>

namespace zd {

enum class received { nothing, message, too_long };

// No frame limit: for peers whose messages are the user's own (the tools print them all).
constexpr std::size_t unlimited_frames = std::numeric_limits<std::size_t>::max();

// Takes one whole message off socket into frames (cleared first). Returns nothing if none is
// waiting. A message of more than max_frames frames is read to its end and dropped frame by
// frame, so it never holds more than max_frames frames: frames then keeps only the first
// (a ROUTER's routing id, to tell who sent it) and too_long is returned. If bytes is given,
// the size of every frame read is added to it, dropped ones included.
received receive_message(zmq::socket_t& socket, std::vector<zmq::message_t>& frames,
                         std::size_t max_frames = unlimited_frames, std::uint64_t* bytes = nullptr);

} // namespace zd

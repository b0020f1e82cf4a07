#include "base/message_io.hpp"

namespace zd {

received receive_message(zmq::socket_t& socket, std::vector<zmq::message_t>& frames,
                         std::size_t max_frames, std::uint64_t* bytes) {
    frames.clear();
    while (true) {
        if (frames.size() == max_frames) {
            zmq::message_t rest;
            bool more = true;
            while (more) {
                if (zmq_msg_recv(rest.handle(), socket.handle(), ZMQ_DONTWAIT) < 0) continue;
                if (bytes) *bytes += rest.size();
                more = rest.more();
            }
            frames.resize(1);
            return received::too_long;
        }
        frames.emplace_back();
        if (zmq_msg_recv(frames.back().handle(), socket.handle(), ZMQ_DONTWAIT) < 0) {
            frames.pop_back();
            if (frames.empty()) return received::nothing; // EAGAIN: nothing waiting
            continue; // cannot happen mid-message (libzmq delivers whole); retry the frame
        }
        if (bytes) *bytes += frames.back().size();
        if (!frames.back().more()) return received::message;
    }
}

} // namespace zd

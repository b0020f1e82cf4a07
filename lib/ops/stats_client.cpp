#include "ops/stats_client.hpp"

#include "base/message_io.hpp"

#include <vector>

namespace zd::ops {

stats_client_t::stats_client_t(zmq::context_t& context, std::string control_address,
                               std::chrono::milliseconds timeout)
    : context_(context), address_(std::move(control_address)), timeout_(timeout) {}

std::optional<std::string> stats_client_t::request_stats() {
    try {
        if (!socket_) {
            socket_.emplace(context_, zmq::socket_type::req);
            socket_->set(zmq::sockopt::linger, 0);
            socket_->connect(address_);
        }
        if (!socket_->send(zmq::str_buffer("STATS"), zmq::send_flags::dontwait)) {
            socket_.reset(); // inproc peer not there (yet): try a fresh socket next time
            return std::nullopt;
        }
        zmq::pollitem_t item{socket_->handle(), 0, ZMQ_POLLIN, 0};
        if (zmq::poll(&item, 1, timeout_) == 0) {
            socket_.reset(); // REQ now waits for this answer: start over on a new socket
            return std::nullopt;
        }
        std::vector<zmq::message_t> frames;
        if (receive_message(*socket_, frames) == received::nothing || frames.size() != 1) {
            socket_.reset();
            return std::nullopt;
        }
        return frames.front().to_string();
    } catch (const zmq::error_t&) { // ETERM: the device is shutting down
        socket_.reset();
        return std::nullopt;
    }
}

} // namespace zd::ops

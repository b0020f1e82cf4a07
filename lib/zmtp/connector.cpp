#include "zmtp/connector.hpp"

#include <cerrno>
#include <cstring>
#include <sys/socket.h>
#include <unistd.h>
#include <utility>

namespace zd::zmtp {

connector_t::connector_t(socket_address_t address, std::chrono::milliseconds reconnect_interval)
    : address_(address), endpoint_(to_endpoint(address)), interval_(reconnect_interval) {}

connector_t::~connector_t() {
    if (state_ == state::connecting) ::close(fd_);
}

connector_t::clock::time_point connector_t::next_attempt() const {
    return state_ == state::waiting ? retry_at_ : clock::time_point::max();
}

int connector_t::fail(clock::time_point now, const char* what) {
    last_error_ = std::string(what) + ": " + std::strerror(errno);
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    state_ = state::waiting;
    retry_at_ = now + interval_;
    return -1;
}

int connector_t::start_if_due(clock::time_point now) {
    if (state_ != state::waiting || now < retry_at_) return -1;
    fd_ = ::socket(address_.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return fail(now, "socket");
    if (::connect(fd_, address_.get(), address_.length) == 0) {
        state_ = state::connected;
        return std::exchange(fd_, -1);
    }
    if (errno != EINPROGRESS && errno != EINTR)
        return fail(now, "connect"); // EAGAIN: ipc backlog full
    state_ = state::connecting;
    return -1;
}

int connector_t::on_writable(clock::time_point now) {
    if (state_ != state::connecting) return -1;
    int error = 0;
    socklen_t size = sizeof error;
    if (::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &size) < 0) return fail(now, "connect");
    if (error != 0) {
        errno = error;
        return fail(now, "connect");
    }
    state_ = state::connected;
    return std::exchange(fd_, -1);
}

void connector_t::connection_lost(clock::time_point now) {
    state_ = state::waiting;
    retry_at_ = now + interval_;
}

} // namespace zd::zmtp

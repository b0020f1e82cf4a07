#include "zmtp/listener.hpp"

#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdexcept>
#include <sys/un.h>
#include <unistd.h>

namespace zd::zmtp {

void tune_tcp_socket(int fd, bool keepalive) {
    const int on = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    if (keepalive) ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
}

listener_t::listener_t(const socket_address_t& address) : is_tcp_(!address.is_ipc()) {
    const std::string wanted = to_endpoint(address);
    auto refuse = [&](const char* what) {
        const std::string why = std::strerror(errno);
        if (fd_ >= 0) ::close(fd_);
        throw std::runtime_error("cannot bind " + wanted + ": " + what + ": " + why);
    };
    fd_ = ::socket(address.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) refuse("socket");
    if (is_tcp_) {
        const int on = 1;
        ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    } else {
        const auto& unix_address = reinterpret_cast<const sockaddr_un&>(address.storage);
        if (unix_address.sun_path[0] != '\0') {
            ipc_path_ = unix_address.sun_path;
            ::unlink(ipc_path_.c_str()); // a file left by an earlier run, as libzmq does
        }
    }
    if (::bind(fd_, address.get(), address.length) < 0) {
        ipc_path_.clear(); // not ours to remove
        refuse("bind");
    }
    if (::listen(fd_, SOMAXCONN) < 0) refuse("listen");

    socket_address_t bound;
    bound.length = sizeof bound.storage;
    if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&bound.storage), &bound.length) < 0)
        refuse("getsockname");
    // getsockname gives an abstract name's full length; keep the one we asked for.
    endpoint_ = is_tcp_ ? to_endpoint(bound) : wanted;
}

listener_t::~listener_t() {
    ::close(fd_);
    if (!ipc_path_.empty()) ::unlink(ipc_path_.c_str());
}

int listener_t::accept() {
    starved_ = 0;
    while (true) {
        const int fd = ::accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) return fd;
        // EAGAIN: nothing waiting. ECONNABORTED and the like: that peer is gone, try the next.
        if (errno == EAGAIN || errno == EWOULDBLOCK) return -1;
        if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO) continue;
        starved_ = errno; // EMFILE and kin: it stays queued until a descriptor is free
        return -1;
    }
}

} // namespace zd::zmtp

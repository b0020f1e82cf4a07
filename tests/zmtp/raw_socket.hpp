// What the lib/zmtp tests share: a plain TCP socket of ours on loopback (a port the OS
// picks) that a real libzmq socket connects to.
#pragma once

#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <netinet/in.h>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>
#include <utility>
#include <zmq.hpp>

namespace zd::test {

class fd_t {
public:
    explicit fd_t(int fd) : fd_(fd) { REQUIRE(fd_ >= 0); }
    ~fd_t() {
        if (fd_ >= 0) ::close(fd_);
    }
    fd_t(const fd_t&) = delete;
    fd_t& operator=(const fd_t&) = delete;
    int get() const { return fd_; }
    int release() { return std::exchange(fd_, -1); }

private:
    int fd_;
};

// Our side of the connection: a loopback listener on a port the OS picks.
struct listener_t {
    fd_t fd{::socket(AF_INET, SOCK_STREAM, 0)};
    int port = 0;

    listener_t() {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
        REQUIRE(::listen(fd.get(), 4) == 0);
        socklen_t size = sizeof address;
        REQUIRE(::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &size) == 0);
        port = ntohs(address.sin_port);
    }

    std::string endpoint() const { return "tcp://127.0.0.1:" + std::to_string(port); }

    fd_t accept() const {
        pollfd item{fd.get(), POLLIN, 0};
        REQUIRE(::poll(&item, 1, 5000) == 1);
        return fd_t(::accept(fd.get(), nullptr, nullptr));
    }
};

inline zmq::socket_t libzmq_socket(zmq::context_t& context, zmq::socket_type type) {
    zmq::socket_t socket(context, type);
    socket.set(zmq::sockopt::linger, 0);
    socket.set(zmq::sockopt::rcvtimeo, 5000);
    socket.set(zmq::sockopt::sndtimeo, 5000);
    return socket;
}

// A libzmq socket of the given type, connected to a plain TCP socket of ours.
struct connected_t {
    zmq::context_t context;
    listener_t listener;
    zmq::socket_t libzmq;
    fd_t ours;

    explicit connected_t(zmq::socket_type type, const std::string& routing_id = {})
        : libzmq(libzmq_socket(context, type)), ours(connect(routing_id)) {}

private:
    fd_t connect(const std::string& routing_id) {
        if (!routing_id.empty()) libzmq.set(zmq::sockopt::routing_id, routing_id);
        libzmq.connect(listener.endpoint());
        return listener.accept();
    }
};

} // namespace zd::test

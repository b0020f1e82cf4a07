// A listening tcp or ipc socket for the native ZMTP transport: non-blocking, closed (and
// its ipc file removed) when destroyed. Like libzmq, binding an ipc path first removes a
// file left there (by a device that died, say), and tcp listeners set SO_REUSEADDR. So that
// this never takes a live device's path over, the caller locks the path first
// (lib/base/ipc_lock.hpp, hold_ipc_path; lib/native does): this library knows no lock.
#pragma once

#include "zmtp/address.hpp"

#include <string>

namespace zd::zmtp {

class listener_t {
public:
    // Binds and listens. Throws std::runtime_error naming the endpoint if the kernel refuses
    // (address in use, no permission, ...).
    explicit listener_t(const socket_address_t& address);
    ~listener_t();
    listener_t(const listener_t&) = delete;
    listener_t& operator=(const listener_t&) = delete;

    int fd() const { return fd_; }
    bool is_tcp() const { return is_tcp_; } // tcp, not ipc

    // The address as bound, with a wildcard port resolved: "tcp://127.0.0.1:41234".
    const std::string& endpoint() const { return endpoint_; }

    // Accepts one waiting connection: a connected non-blocking socket, or -1 if none is
    // waiting (or it vanished before we took it), or if the process or the system has no
    // descriptor (or memory) left for it: starved() then says so until the next accept.
    int accept();
    // The errno of the last accept() that found a connection waiting but could not take it
    // (EMFILE, ENFILE, ENOBUFS, ENOMEM), else 0. The connection stays queued, and the
    // listener stays readable: a caller that polls it again at once would spin, so it rests
    // the listener a while (lib/native does, docs/LIMITS.md).
    int starved() const { return starved_; }

private:
    int fd_ = -1;
    bool is_tcp_ = false;
    std::string endpoint_;
    std::string ipc_path_; // file to remove on close; empty for tcp and abstract names
    int starved_ = 0;      // see starved()
};

// Sets what every native tcp connection gets: TCP_NODELAY (ZMTP writes whole batches, so
// Nagle's delay only adds latency), and SO_KEEPALIVE when asked.
void tune_tcp_socket(int fd, bool keepalive);

} // namespace zd::zmtp

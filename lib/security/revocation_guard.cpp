#include "security/revocation_guard.hpp"

#include "base/log.hpp"

#include <arpa/inet.h>
#include <cstring>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

namespace zd::security {

namespace {

// The peer's address and port as text, or "" if the descriptor is no connected socket.
std::string peer_of(int fd) {
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return {};
    char text[INET6_ADDRSTRLEN] = "";
    if (address.ss_family == AF_INET) {
        const auto* in = reinterpret_cast<const sockaddr_in*>(&address);
        inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
        return std::string(text) + ":" + std::to_string(ntohs(in->sin_port));
    }
    if (address.ss_family == AF_INET6) {
        const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&address);
        inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
        return "[" + std::string(text) + "]:" + std::to_string(ntohs(in6->sin6_port));
    }
    // ipc: the peer has no name; the socket's inode tells one connection from another.
    struct stat status {};
    if (fstat(fd, &status) != 0) return {};
    return "unix socket inode " + std::to_string(status.st_ino);
}

} // namespace

revocation_guard_t::revocation_guard_t(const zap_handler_t& handler, std::string domain)
    : allowed_(handler, std::move(domain)) {}

bool revocation_guard_t::admits(zmq_msg_t& first_frame) {
    pending_.reset();
    const char* user_id = zmq_msg_gets(&first_frame, "User-Id");
    if (user_id == nullptr) {
        // A ROUTER's routing id made while zmq_poll looked ahead carries no metadata
        // (libzmq 4.3.4's router_t::xhas_in): the next frame says who sent the message. It
        // passes; its connection is cut there if the key is no longer allowed.
        pending_.emplace(std::string(), true);
        return true;
    }
    const bool allowed = allowed_.is_allowed(user_id);
    if (!allowed) ++messages_dropped_;
    const int fd = zmq_msg_get(&first_frame, ZMQ_SRCFD);
    if (fd >= 0)
        learn(fd, user_id, allowed);
    else
        pending_.emplace(user_id, allowed);
    return allowed;
}

void revocation_guard_t::next_frame(zmq_msg_t& frame) {
    if (!pending_) return;
    const int fd = zmq_msg_get(&frame, ZMQ_SRCFD);
    if (fd < 0) return;
    if (pending_->first.empty()) { // who sent it is known only now
        const char* user_id = zmq_msg_gets(&frame, "User-Id");
        if (user_id != nullptr) learn(fd, user_id, allowed_.is_allowed(user_id));
    } else {
        learn(fd, pending_->first, pending_->second);
    }
    pending_.reset();
}

void revocation_guard_t::learn(int fd, const std::string& user_id, bool allowed) {
    auto& known = connections_[fd];
    if (known.user_id != user_id) known = {user_id, peer_of(fd)}; // new, or fd reused
    if (!allowed) cut(fd);
}

int revocation_guard_t::cut_revoked() {
    if (!allowed_.refresh()) return 0;
    int cut_now = 0;
    for (auto it = connections_.begin(); it != connections_.end();) {
        const auto [fd, known] = *it;
        if (allowed_.is_allowed(known.user_id)) {
            ++it;
            continue;
        }
        it = connections_.erase(it);
        if (peer_of(fd) != known.peer) continue; // closed, or the number reused: not ours
        cut(fd);
        ++cut_now;
    }
    return cut_now;
}

void revocation_guard_t::cut(int fd) {
    // shutdown, not close: the descriptor stays libzmq's, which sees the connection end and
    // closes it itself.
    if (::shutdown(fd, SHUT_RDWR) == 0) {
        ++connections_cut_;
        log::info("cut a connection whose key is no longer allowed");
    }
    connections_.erase(fd);
}

} // namespace zd::security

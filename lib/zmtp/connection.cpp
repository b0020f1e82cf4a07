#include "zmtp/connection.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace zd::zmtp {

connection_t::connection_t(int fd, std::string socket_type, std::string routing_id,
                           connection_limits_t limits)
    : fd_(fd), limits_(limits), handshake_(std::move(socket_type), std::move(routing_id)) {
    ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
    out_ = std::move(handshake_.output()); // our greeting goes first
    handshake_.output().clear();
}

connection_t::~connection_t() {
    ::close(fd_);
}

bool connection_t::fail(std::string why) {
    if (error_.empty()) error_ = std::move(why);
    return false;
}

// Before a read: at least half a read's worth of space after in_end_, made by moving the
// unread bytes to the front (a partial message, usually small) or, for a message larger
// than the buffer, by growing it.
void connection_t::make_room() {
    if (in_start_ == in_end_) in_start_ = in_end_ = 0;
    const std::size_t wanted = std::max<std::size_t>(limits_.read_size / 2, 1);
    if (in_capacity_ - in_end_ >= wanted) return;
    const std::size_t unread = in_end_ - in_start_;
    if (in_capacity_ - unread >= wanted) {
        std::memmove(in_.get(), in_.get() + in_start_, unread);
    } else {
        const std::size_t capacity = std::max(2 * in_capacity_, unread + limits_.read_size);
        auto bigger = std::make_unique_for_overwrite<char[]>(capacity);
        if (unread > 0) std::memcpy(bigger.get(), in_.get() + in_start_, unread);
        in_ = std::move(bigger);
        in_capacity_ = capacity;
    }
    in_start_ = 0;
    in_end_ = unread;
}

bool connection_t::on_readable() {
    if (broken()) return false;
    make_room();
    const ssize_t got = ::read(fd_, in_.get() + in_end_, in_capacity_ - in_end_);
    if (got > 0) in_end_ += std::size_t(got);
    if (got == 0) return fail("the peer closed the connection");
    if (got < 0) {
        if (errno == EAGAIN || errno == EINTR) return true;
        return fail(std::string("read: ") + std::strerror(errno));
    }
    if (!handshake_.done()) {
        in_start_ += handshake_.feed(unread());
        out_ += handshake_.output(); // our READY
        handshake_.output().clear();
        if (handshake_.failed()) return fail(handshake_.error());
        if (handshake_.done()) {
            for (const std::uint64_t end : early_ends_)
                message_ends_.push_back(stream_end() + end);
            out_ += early_;
            early_ = std::string();
            early_ends_.clear();
        }
    }
    return true;
}

bool connection_t::next_message(std::vector<std::string_view>& frames) {
    frames.clear();
    if (!handshake_.done() || broken()) return false;
    std::string_view rest = unread();
    std::size_t consumed = 0;
    std::uint64_t bytes = 0;
    while (true) {
        const decode_result_t decoded = decode_frame(rest, limits_.max_message - bytes);
        if (decoded.status == decode_status::need_more) {
            frames.clear();
            return false;
        }
        if (decoded.status == decode_status::error) { // an oversized frame before its body
            if (!decoded.oversized) {
                protocol_error_ = true;
                return fail(std::string(decoded.error));
            }
            oversized_ = true;
            return fail("a message of more than " + std::to_string(limits_.max_message) + " bytes");
        }
        rest.remove_prefix(decoded.consumed);
        consumed += decoded.consumed;
        if (decoded.frame.command()) {
            if (!frames.empty()) {
                protocol_error_ = true;
                return fail("a command inside a message");
            }
            on_command(decoded.frame.body);
            in_start_ += consumed;
            consumed = 0;
            continue;
        }
        frames.push_back(decoded.frame.body);
        bytes += decoded.frame.body.size();
        if (frames.size() > limits_.max_frames) {
            oversized_ = true;
            return fail("a message of more than " + std::to_string(limits_.max_frames) + " frames");
        }
        if (!decoded.frame.more()) {
            in_start_ += consumed;
            return true;
        }
    }
}

// RFC 37: PING carries a TTL (2 bytes) and up to 16 bytes of context, which PONG echoes.
void connection_t::on_command(std::string_view body) {
    const auto command = parse_command(body);
    if (command && command->name == "PING" && command->data.size() >= 2) {
        append_frame(out_, flag_command, make_command("PONG", command->data.substr(2, 16)));
        return;
    }
    if (command && command->name == "PONG") return;
    if (command && command_handler_) {
        command_handler_(command->name, command->data);
        return;
    }
    ++ignored_commands_;
}

void connection_t::queue_command(std::string_view name, std::string_view data) {
    // Before READY it waits with the early messages, whose ends are measured after it.
    append_frame(handshake_.done() ? out_ : early_, flag_command, make_command(name, data));
}

void connection_t::queue_message(const std::vector<std::string_view>& frames) {
    const bool early = !handshake_.done();
    std::string& out = early ? early_ : out_;
    for (std::size_t i = 0; i < frames.size(); ++i)
        append_frame(out, i + 1 < frames.size() ? flag_more : 0, frames[i]);
    if (early) {
        early_ends_.push_back(early_.size()); // placed in the stream when READY is sent
    } else {
        message_ends_.push_back(stream_end());
    }
}

void connection_t::forget_written_messages() {
    while (!message_ends_.empty() && message_ends_.front() <= ever_written_)
        message_ends_.pop_front();
}

bool connection_t::on_writable() {
    if (broken()) return false;
    while (out_start_ < out_.size()) {
        const ssize_t written =
            ::send(fd_, out_.data() + out_start_, out_.size() - out_start_, MSG_NOSIGNAL);
        if (written < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) {
                // Keep the buffer near what is still unwritten while a slow peer drains it.
                if (out_start_ >= out_.size() / 2) {
                    out_.erase(0, out_start_);
                    out_start_ = 0;
                }
                return true;
            }
            return fail(std::string("write: ") + std::strerror(errno));
        }
        out_start_ += std::size_t(written);
        ever_written_ += std::size_t(written);
        forget_written_messages();
    }
    out_.clear();
    out_start_ = 0;
    return true;
}

} // namespace zd::zmtp

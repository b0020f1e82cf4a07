// One ZMTP peer over a connected stream socket (tcp or ipc), with the NULL mechanism:
// non-blocking, driven by the caller's poll loop (it never blocks, never sleeps and owns
// no thread). Input is read in large chunks and cut into whole messages whose frames are
// views into the input buffer, so a relay copies each byte once, into the output buffer of
// the connection it forwards to; output is written in large chunks.
#pragma once

#include "zmtp/frame.hpp"
#include "zmtp/handshake.hpp"

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace zd::zmtp {

struct connection_limits_t {
    std::uint64_t max_message = 1 << 20; // bytes in one message's bodies; more drops the peer
    std::size_t max_frames = 1000;       // frames in one message; more drops the peer
    std::size_t read_size = 256 * 1024;  // bytes asked of each read()
};

class connection_t {
public:
    // Takes fd (a connected stream socket) and makes it non-blocking; closes it when
    // destroyed. socket_type and routing_id are ours, as null_handshake_t takes them.
    connection_t(int fd, std::string socket_type, std::string routing_id = {},
                 connection_limits_t limits = {});
    ~connection_t();
    connection_t(const connection_t&) = delete;
    connection_t& operator=(const connection_t&) = delete;

    int fd() const { return fd_; }
    bool ready() const { return handshake_.done(); }
    bool broken() const { return !error_.empty(); }
    const std::string& error() const { return error_; } // why the connection is broken
    // Whether it broke because the peer sent a message over the limits (max_message bytes or
    // max_frames frames): the device counts these apart from other disconnections.
    bool oversized() const { return oversized_; }
    // Whether it broke because the peer broke ZMTP after the handshake (a bad frame, a
    // command inside a message): counted apart from a peer that just left.
    bool protocol_error() const { return protocol_error_; }
    const null_handshake_t& handshake() const { return handshake_; }

    // Reads once from the socket (call when poll says readable): the handshake, then
    // traffic. False if the connection is broken (closed by the peer, a protocol error, a
    // message over the limits). Frames handed out by next_message() stay valid until the
    // next call.
    bool on_readable();

    // Breaks the connection from our side, for why (the caller's policy: a handshake that
    // took too long); it then reports broken() like any other. Does nothing if broken already.
    void abandon(std::string why) { fail(std::move(why)); }

    // The next whole message received, as frame views, or false if none is complete.
    // Commands are handled here: a PING is answered with a PONG (RFC 37: a peer with
    // heartbeats on drops a connection that does not answer), PONG is taken as a sign of
    // life; others (SUBSCRIBE, CANCEL, ...) go to the command handler if one is set, and are
    // counted in ignored_commands otherwise.
    bool next_message(std::vector<std::string_view>& frames);

    // Takes the commands next_message() meets other than PING and PONG: name and data.
    using command_handler_t = std::function<void(std::string_view name, std::string_view data)>;
    void set_command_handler(command_handler_t handler) { command_handler_ = std::move(handler); }

    // Queues a command (SUBSCRIBE, CANCEL, ...) for sending, after what is queued already.
    void queue_command(std::string_view name, std::string_view data);

    // Queues a message's frames for sending; nothing is written until on_writable(), and
    // nothing before the handshake is done (messages queued earlier wait for it).
    void queue_message(const std::vector<std::string_view>& frames);

    // Writes what is queued (call when poll says writable, or after queueing). False if the
    // connection is broken.
    bool on_writable();

    // Marks the connection broken, for why: the owner's loop then closes it.
    // What is queued already (our READY, when the handshake finished in the same read) is
    // written first, as far as the socket takes it without waiting: a peer refused after its
    // handshake (a routing id in use) then sees a closed session, as with libzmq, not a
    // handshake cut short.
    void drop(std::string why) {
        on_writable();
        fail(std::move(why));
    }

    bool wants_write() const { return out_start_ < out_.size(); }
    std::size_t queued_bytes() const { return out_.size() - out_start_ + early_.size(); }
    // Messages queued and not yet wholly written to the socket: what a high-water mark in
    // messages (libzmq's ZMQ_SNDHWM) is measured against.
    std::size_t queued_messages() const { return message_ends_.size(); }
    std::uint64_t ignored_commands() const { return ignored_commands_; }

private:
    bool fail(std::string why);
    void on_command(std::string_view body);
    void forget_written_messages();
    // The position in our byte stream just past everything queued in out_.
    std::uint64_t stream_end() const { return ever_written_ + (out_.size() - out_start_); }
    void make_room();
    std::string_view unread() const { return {in_.get() + in_start_, in_end_ - in_start_}; }

    int fd_;
    connection_limits_t limits_;
    null_handshake_t handshake_;
    // Input: bytes [in_start_, in_end_) are received and not yet handed out. Not a
    // std::string: growing one zero-fills what read() is about to overwrite.
    std::unique_ptr<char[]> in_;
    std::size_t in_capacity_ = 0;
    std::size_t in_start_ = 0;
    std::size_t in_end_ = 0;
    std::string out_;
    std::size_t out_start_ = 0; // first byte not yet written
    std::string early_;         // messages queued before the handshake was done
    // Where each queued message ends in the stream of bytes we send: it is out once
    // ever_written_ reaches its end.
    std::deque<std::uint64_t> message_ends_;
    std::deque<std::uint64_t> early_ends_; // in early_, for messages queued before READY
    std::uint64_t ever_written_ = 0;
    std::string error_;
    bool oversized_ = false;      // error_ says a message went over the limits
    bool protocol_error_ = false; // error_ says the peer broke ZMTP after the handshake
    std::uint64_t ignored_commands_ = 0;
    command_handler_t command_handler_;
};

} // namespace zd::zmtp

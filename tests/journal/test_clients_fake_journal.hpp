// A fake zd-journal for the client helper tests: one ROUTER, in its own thread, that speaks
// all three wire protocols (a header line, then the message frames) from the frame tables
// (docs/JOURNAL.md, "Wire protocol") over an in-memory log, with knobs to lose, hold back or refuse
// messages and a restart() that closes the socket and binds the same port again, forgetting
// everything a real journal keeps only in memory (subscriptions, unacknowledged messages) and
// keeping what it keeps on disk (the log, producers' last sequence numbers, consumers' stored
// offsets).
//
//     producer_t / consumer_t / reader_t (DEALER) ---tcp---> fake journal (ROUTER, thread)
#pragma once

#include "journal/client/protocol.hpp"
#include "messages.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

namespace zd::test {

struct fake_record_t {
    std::uint64_t offset;
    std::string producer;
    std::uint64_t seq;
    frames_t frames;
};

class fake_journal_t {
public:
    explicit fake_journal_t(zmq::context_t& context) : context_(context) { start("*"); }
    ~fake_journal_t() { stop(); }
    fake_journal_t(const fake_journal_t&) = delete;
    fake_journal_t& operator=(const fake_journal_t&) = delete;

    const std::string& endpoint() const { return endpoint_; }

    // Everything the journal keeps only in memory is lost; the log, the producers' last
    // sequence numbers and the stored offsets stay (they are on disk).
    void restart() {
        stop();
        start(port_);
    }
    // The fake's process is gone until restart(): the port refuses connections.
    void crash() { stop(); }

    // Waits until count clients have connected (ZMTP handshakes) since the last (re)start.
    // A message a client sends before its DEALER has noticed the restart may go down the
    // dead connection and be lost (as with a real journal): tests that need a message to
    // arrive wait for the reconnection first.
    bool wait_connections(int count, std::chrono::milliseconds timeout = 5s) {
        return watch_->wait_handshakes(count, timeout);
    }

    // Knobs and state, all under the lock.
    struct state_t {
        std::vector<fake_record_t> log;
        std::uint64_t first_retained = 0;              // READ/SUB below this: ERR 404
        std::map<std::string, std::uint64_t> last_seq; // per producer id (durable)
        std::map<std::string, std::uint64_t> stored;   // consumer name -> next offset
        std::vector<frames_t> received;                // every message, as received
        std::function<bool(const frames_t&)> drop;     // true: the message is lost
        bool hold_acks = false;                        // store PUBs but do not ACK them
        bool mute = false;                             // answer nothing at all
        std::optional<std::pair<std::string, std::string>> refuse_pub; // ERR code text
        std::optional<std::uint64_t> nack_with; // answer every PUB NACK with this seq
        std::uint64_t nacks_sent = 0;
    };

    // Runs f on the state under the lock and returns what it returns.
    template <typename F>
    auto with_state(F f) {
        std::lock_guard lock(mutex_);
        return f(state_);
    }

    // Appends records straight to the log (as if producers had sent them).
    void append(const std::vector<frames_t>& messages) {
        std::lock_guard lock(mutex_);
        for (const auto& frames : messages)
            state_.log.push_back({state_.log.size(), "", 0, frames});
    }

    std::vector<fake_record_t> log() {
        std::lock_guard lock(mutex_);
        return state_.log;
    }
    std::vector<frames_t> received() {
        std::lock_guard lock(mutex_);
        return state_.received;
    }

    // Waits until pred(state) holds (checked every few ms); false after timeout.
    template <typename Pred>
    bool wait_until(Pred pred, std::chrono::milliseconds timeout = 5s) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            {
                std::lock_guard lock(mutex_);
                if (pred(state_)) return true;
            }
            std::this_thread::sleep_for(2ms);
        }
        return false;
    }

    static std::uint64_t timestamp_of(std::uint64_t offset) { return 1'000'000'000 + offset; }

private:
    struct consumer_state_t {
        std::string peer;
        std::uint64_t next_send = 0;
        std::uint64_t acked_next = 0;
        std::uint32_t window = 0;
    };

    void start(const std::string& port) {
        socket_ = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::router);
        socket_->set(zmq::sockopt::linger, 0);
        watch_ = std::make_unique<connection_watch_t>(context_, *socket_);
        // libzmq closes the old listener in its I/O thread, after the old socket is gone:
        // the port may stay busy for a moment. Retry, bounded.
        const auto give_up = std::chrono::steady_clock::now() + 5s;
        while (true) {
            try {
                socket_->bind("tcp://127.0.0.1:" + port);
                break;
            } catch (const zmq::error_t& error) {
                if (error.num() != EADDRINUSE || std::chrono::steady_clock::now() > give_up) throw;
                std::this_thread::sleep_for(5ms);
            }
        }
        endpoint_ = socket_->get(zmq::sockopt::last_endpoint);
        port_ = endpoint_.substr(endpoint_.rfind(':') + 1);
        running_ = true;
        thread_ = std::thread([this] { run(); });
    }

    void stop() {
        if (!thread_.joinable()) return;
        running_ = false;
        thread_.join();
        watch_.reset();
        socket_.reset(); // linger 0: whatever was queued is lost, like a killed process
        std::lock_guard lock(mutex_);
        consumers_.clear(); // in-memory only
    }

    void run() {
        while (running_) {
            auto message = recv_multipart(*socket_, 5ms);
            std::lock_guard lock(mutex_);
            if (message) handle(*message);
            deliver();
        }
    }

    void reply(const std::string& peer, bool leading_empty, frames_t frames) {
        frames.insert(frames.begin(), peer);
        if (leading_empty) frames.insert(frames.begin() + 1, "");
        send_multipart(*socket_, frames);
    }

    void handle(const frames_t& message) {
        state_.received.push_back(message);
        if (state_.mute) return;
        if (state_.drop && state_.drop(message)) return;
        std::vector<std::string_view> views(message.begin(), message.end());
        namespace proto = zd::journal::protocol;
        const std::string& peer = message[0];
        // The fake serves all three protocols on one socket: the command picks the decoder.
        const std::size_t at = message.size() > 2 && message[1].empty() ? 2 : 1;
        const std::string_view header = at < message.size() ? views[at] : std::string_view();
        const std::string_view command = header.substr(0, header.find(' '));
        proto::decoded_t decoded;
        if (command == proto::cmd_publish)
            decoded = proto::decode_producer(views.data(), views.size());
        else if (command == proto::cmd_read)
            decoded = proto::decode_reader(views.data(), views.size());
        else
            decoded = proto::decode_consumer(views.data(), views.size());
        if (!decoded.ok()) {
            reply(peer, decoded.leading_empty,
                  {std::string("ERR 400 ") + proto::describe(decoded.error)});
            return;
        }
        switch (decoded.kind) {
        case proto::kind_t::ping:
            reply(peer, decoded.leading_empty, {"PONG"});
            break;
        case proto::kind_t::publish:
            publish(peer, decoded, message);
            break;
        case proto::kind_t::subscribe:
            subscribe(peer, decoded);
            break;
        case proto::kind_t::consumer_ack: {
            auto found = std::find_if(consumers_.begin(), consumers_.end(),
                                      [&](const auto& entry) { return entry.second.peer == peer; });
            if (found == consumers_.end()) {
                reply(peer, decoded.leading_empty, {"ERR 400 ACK before SUB"});
                break;
            }
            auto& consumer = found->second;
            const std::uint64_t next = std::min(decoded.ack.offset + 1, consumer.next_send);
            if (next > consumer.acked_next) {
                consumer.acked_next = next;
                state_.stored[found->first] = next;
            }
            break;
        }
        case proto::kind_t::read:
            read(peer, decoded);
            break;
        }
    }

    void publish(const std::string& peer, const zd::journal::protocol::decoded_t& decoded,
                 const frames_t& message) {
        const auto& publish = decoded.publish;
        const std::string producer(publish.producer);
        if (state_.refuse_pub) {
            reply(peer, decoded.leading_empty,
                  {"ERR " + state_.refuse_pub->first + " " + state_.refuse_pub->second});
            return;
        }
        if (state_.nack_with) {
            reply(peer, decoded.leading_empty,
                  {"NACK " + producer + " " + std::to_string(*state_.nack_with)});
            return;
        }
        const auto known = state_.last_seq.find(producer);
        const std::uint64_t expected = known == state_.last_seq.end()
                                           ? publish.base
                                           : std::max(known->second + 1, publish.base);
        if (known != state_.last_seq.end() && publish.seq <= known->second) {
            if (!state_.hold_acks)
                reply(peer, decoded.leading_empty,
                      {"ACK " + producer + " " + std::to_string(known->second)});
            return;
        }
        if (publish.seq != expected) {
            ++state_.nacks_sent;
            reply(peer, decoded.leading_empty,
                  {"NACK " + producer + " " + std::to_string(expected)});
            return;
        }
        state_.last_seq[producer] = publish.seq;
        state_.log.push_back(
            {state_.log.size(), producer, publish.seq,
             frames_t(message.begin() + long(publish.first_frame), message.end())});
        if (!state_.hold_acks)
            reply(peer, decoded.leading_empty,
                  {"ACK " + producer + " " + std::to_string(publish.seq)});
    }

    void subscribe(const std::string& peer, const zd::journal::protocol::decoded_t& decoded) {
        using kind = zd::journal::protocol::position_t::kind;
        const std::string name(decoded.subscribe.name);
        const auto& position = decoded.subscribe.position;
        std::uint64_t start = 0;
        switch (position.from) {
        case kind::stored:
            start = state_.stored.count(name) ? state_.stored[name] : state_.first_retained;
            break;
        case kind::earliest:
            start = state_.first_retained;
            break;
        case kind::latest:
            start = state_.log.size();
            break;
        case kind::offset:
            start = position.value;
            break;
        case kind::time:
            start = 0;
            break;
        }
        if (start < state_.first_retained) {
            reply(peer, decoded.leading_empty, {"ERR 404 offset is no longer retained"});
            return;
        }
        if (start > state_.log.size()) {
            reply(peer, decoded.leading_empty, {"ERR 400 offset is past the end"});
            return;
        }
        for (auto it = consumers_.begin(); it != consumers_.end();)
            it = it->second.peer == peer ? consumers_.erase(it) : std::next(it);
        consumers_[name] = {peer, start, start, decoded.subscribe.window};
        state_.stored[name] = start;
    }

    void read(const std::string& peer, const zd::journal::protocol::decoded_t& decoded) {
        using kind = zd::journal::protocol::position_t::kind;
        const auto& position = decoded.read.position;
        std::uint64_t at = position.from == kind::offset   ? position.value
                           : position.from == kind::latest ? state_.log.size()
                                                           : state_.first_retained;
        if (at < state_.first_retained) {
            reply(peer, decoded.leading_empty, {"ERR 404 offset is no longer retained"});
            return;
        }
        for (std::uint32_t sent = 0; sent < decoded.read.count && at < state_.log.size();
             ++sent, ++at)
            reply(peer, decoded.leading_empty, record_frames(state_.log[at]));
        reply(peer, decoded.leading_empty, {"END " + std::to_string(at)});
    }

    static frames_t record_frames(const fake_record_t& record) {
        frames_t frames{"REC " + std::to_string(record.offset) + " " +
                        std::to_string(timestamp_of(record.offset))};
        frames.insert(frames.end(), record.frames.begin(), record.frames.end());
        return frames;
    }

    void deliver() {
        if (state_.mute) return;
        for (auto& [name, consumer] : consumers_)
            while (consumer.next_send < state_.log.size() &&
                   consumer.next_send - consumer.acked_next < consumer.window)
                reply(consumer.peer, false, record_frames(state_.log[consumer.next_send++]));
    }

    zmq::context_t& context_;
    std::unique_ptr<zmq::socket_t> socket_;
    std::unique_ptr<connection_watch_t> watch_;
    std::string endpoint_;
    std::string port_;
    std::thread thread_;
    std::atomic<bool> running_{false};
    std::mutex mutex_;
    state_t state_;
    std::map<std::string, consumer_state_t> consumers_; // by name; in memory only
};

} // namespace zd::test

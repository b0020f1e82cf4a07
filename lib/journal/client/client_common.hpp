// What the journal's client helpers (producer_t, consumer_t, reader_t) share: the record and
// error types an application sees, and the socket plumbing each of them needs (waiting with
// a deadline and a stop descriptor, whole-message receive, send that never half-queues).
// Wire protocol: lib/journal/client/protocol.hpp and docs/JOURNAL.md ("Wire protocol").
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>
#include <zmq.hpp>

namespace zd::journal {

// A message as the application sees it: one string per frame, boundaries kept.
using frames_t = std::vector<std::string>;

// One record as the journal delivers it (REC offset timestamp-ns frame...).
struct record_t {
    std::uint64_t offset = 0;
    std::uint64_t timestamp_ns = 0; // when the journal stored it, ns since the Unix epoch
    frames_t frames;
    // Only for a consumer that asked for them (consumer_options_t::origin): the id and seq
    // the record was published with; empty and 0 for a record stored without an id.
    std::string producer_id;
    std::uint64_t producer_seq = 0;
    bool operator==(const record_t&) const = default;
};

// The journal answered ERR code text, and the helper cannot go on by itself (a refused
// message, an offset no longer retained, a request the journal calls malformed).
class journal_error : public std::runtime_error {
public:
    journal_error(std::string code, std::string text)
        : std::runtime_error("journal error " + code + ": " + text), code_(std::move(code)),
          text_(std::move(text)) {}
    const std::string& code() const { return code_; } // "400", "404", "413", "503"
    const std::string& text() const { return text_; }

private:
    std::string code_;
    std::string text_;
};

// Thrown by a blocking call when the options' stop descriptor became readable.
class interrupted_error : public std::runtime_error {
public:
    interrupted_error() : std::runtime_error("interrupted") {}
};

namespace client_detail {

using steady_clock = std::chrono::steady_clock;
using deadline_t = std::optional<steady_clock::time_point>;

// A deadline timeout from now; a negative timeout means none (wait for ever).
deadline_t deadline_after(std::chrono::milliseconds timeout);

// Milliseconds until deadline for zmq_poll, rounded up; -1 without a deadline.
long poll_timeout(const deadline_t& deadline);

// Waits until socket has one of events or deadline passes (also wakes at wake_at, if given,
// so callers can run timers). Returns the socket's revents (0 on timeout). Throws
// interrupted_error when stop_fd (if >= 0) becomes readable, zmq::error_t on errors.
short wait(zmq::socket_t& socket, short events, deadline_t deadline, int stop_fd);

// Takes one whole message off the socket without waiting. False if none was there.
bool receive(zmq::socket_t& socket, std::vector<zmq::message_t>& frames);

// The frames as views, with an optional leading empty frame (a REQ-style delimiter some
// peers add) dropped.
std::vector<std::string_view> views_of(const std::vector<zmq::message_t>& frames);

// Splits a header line at single spaces into at most max tokens; the last one keeps the
// rest of the line (an ERR's text has spaces). Returns how many tokens it wrote.
std::size_t split_line(std::string_view line, std::string_view* tokens, std::size_t max);

// Queues a message without waiting: false (nothing queued) if the socket is at its
// high-water mark. Once the first frame is queued the rest go too (same pipe).
bool try_send(zmq::socket_t& socket, const std::vector<zmq::const_buffer>& frames);

} // namespace client_detail

} // namespace zd::journal

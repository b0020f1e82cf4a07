// zd-journal's replay side (--replay): READ position count pages through committed records,
// answered REC... END next. Pages are served in turns of a bounded number of records, so one
// long read cannot starve producers or other readers; the READs being answered are this
// side's state. Protocol: docs/JOURNAL.md ("Replay").
#pragma once

#include "journal/log.hpp"
#include "journal/server/journal_server.hpp"
#include "journal/server/retry.hpp"
#include "journal/server/sender.hpp"

#include <cstdint>
#include <deque>
#include <memory>
#include <vector>
#include <zmq.hpp>

namespace zd::journal::server {

class replay_t {
public:
    replay_t(zmq::socket_t& socket, const log_t& log, journal_counters_t& counters,
             sender_t& sender, retry_t& retry);

    // READ and PING take a header and at most an empty frame before it: more is malformed,
    // dropped as it is read (ERR 400 extra frames).
    static constexpr std::size_t max_frames = 8;

    // Takes the READs waiting on the socket (it is readable).
    void serve();
    // Sends the next turn of every READ being answered.
    void answer();

    // READs still being answered: the loop must come back at once.
    bool busy() const { return !reads_.empty(); }
    std::size_t readers() const { return reads_.size(); }
    // The lowest offset a READ still needs, at most limit: retention keeps it.
    std::uint64_t keep_from(std::uint64_t limit) const;

private:
    struct read_request_t {
        envelope_t peer;
        std::unique_ptr<log_t::cursor_t> cursor;
        std::uint32_t remaining = 0;
    };
    enum class read_progress { finished, gone, full, out_of_budget };
    read_progress continue_read(read_request_t& read, std::size_t& budget);

    // Records sent per turn, over all READs.
    static constexpr std::size_t records_per_turn = 10000;

    zmq::socket_t& socket_;
    const log_t& log_;
    journal_counters_t& counters_;
    sender_t& sender_;
    retry_t& retry_;
    std::deque<read_request_t> reads_; // answered in turns, oldest first
    std::vector<zmq::message_t> frames_;
    std::vector<std::string_view> views_;
};

} // namespace zd::journal::server

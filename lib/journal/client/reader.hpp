// A replay reader for zd-journal's replay socket, for applications: reads the journal like a
// tape, a page at a time (READ position count -> REC... END next-offset), from any retained
// offset or from a time. Pages are requested one at a time on a DEALER socket; a page that
// stops arriving (the journal restarted mid-page) is given up after the timeout and the
// socket replaced, so no late record of it can mix into the next page: the caller reads
// again from the same position. No thread of its own; not thread-safe.
#pragma once

#include "base/endpoints.hpp"
#include "base/socket_options.hpp"
#include "journal/client/client_common.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>
#include <zmq.hpp>

namespace zd::journal {

struct reader_options_t {
    socket_options_t socket; // applied to every DEALER socket the reader opens
    int stop_fd = -1;        // if >= 0, a descriptor whose readability interrupts any wait
                             // (interrupted_error)
};

// One page of the journal.
struct page_t {
    std::vector<record_t> records; // in offset order
    std::uint64_t next_offset = 0; // where the next page starts (END next-offset)
};

class reader_t {
public:
    // Connects to the journal's replay socket. Throws endpoint_error, zmq::error_t.
    reader_t(zmq::context_t& context, std::string_view endpoints, reader_options_t options = {});
    ~reader_t();
    reader_t(const reader_t&) = delete;
    reader_t& operator=(const reader_t&) = delete;

    // Reads up to count (1..65536) records from position ("earliest", "latest", a decimal
    // offset or "@" + ms since the epoch). Waits at most timeout for each message of the
    // answer (a long page keeps going as long as records keep coming); nullopt if the
    // journal went quiet first. An empty page means nothing is stored at or past position
    // yet. Throws std::invalid_argument for a bad position or count, journal_error when the
    // journal refuses (ERR 404: position no longer retained; 400: past the end),
    // interrupted_error, zmq::error_t.
    std::optional<page_t> read(std::string_view position, std::uint32_t count,
                               std::chrono::milliseconds timeout);
    std::optional<page_t> read(std::uint64_t offset, std::uint32_t count,
                               std::chrono::milliseconds timeout);

    std::uint64_t malformed() const { return malformed_; } // messages not understood

private:
    void connect();

    zmq::context_t& context_;
    reader_options_t options_;
    endpoint_list_t endpoints_;
    std::unique_ptr<zmq::socket_t> socket_;
    std::uint64_t malformed_ = 0;
    std::vector<zmq::message_t> incoming_;
};

} // namespace zd::journal

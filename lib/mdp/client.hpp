// A Majordomo client for applications: ask a broker's service for an answer, either one
// request at a time with timeouts and retries (call), or many requests in flight on one socket
// (send / receive). Speaks MDP/0.2 (the default) or MDP/0.1 over a DEALER socket, so either
// way the client never wedges the way a REQ socket does when a reply is lost.
//
// Reliability follows the zguide's mdcliapi ("lazy pirate"): when an attempt times out the
// socket is closed and a new one opened (a new identity, so a late reply to the old attempt
// can never be mistaken for the answer to the new one), and the request is sent again.
// Workers are assumed idempotent, as the MDP spec says.
//
// Matching async replies: MDP replies carry no request id, only the service name. receive()
// pairs each FINAL with the oldest outstanding request for that service. This is exact while
// each service's requests are answered in the order they were sent, which holds when one
// worker serves the service (the broker dispatches a service's queue in order). With several
// workers a fast one can overtake a slow one; then put your own key in the body (and have
// the worker echo it) and match on that.
#pragma once

#include "base/endpoints.hpp"
#include "base/socket_options.hpp"
#include "mdp/codec.hpp"

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>
#include <zmq.hpp>

namespace zd::mdp {

// A message body as the application sees it: one string per frame.
using frames_t = std::vector<std::string>;

struct client_options_t {
    version protocol = version::v02;
    std::chrono::milliseconds timeout{2500}; // call(): wait this long for the reply (a 0.2
                                             // PARTIAL restarts the wait), then retry
    int retries = 3;                         // call(): attempts after the first one
    socket_options_t socket;                 // applied to every socket the client opens
    int stop_fd = -1; // if >= 0, a descriptor (e.g. stop_signal_t::fd()) whose readability
                      // interrupts any wait: call() and receive() throw interrupted_error
};

// Thrown by call() and receive() when options.stop_fd became readable while they waited.
class interrupted_error : public std::runtime_error {
public:
    interrupted_error() : std::runtime_error("interrupted") {}
};

// One reply message taken off the socket by receive().
struct reply_t {
    std::uint64_t request_id = 0; // the request it answers (see matching above); 0 if none
                                  // was outstanding for the service (a stray reply)
    std::string service;
    frames_t body;
    bool final = true; // false for a 0.2 PARTIAL: more replies to the same request follow
};

class client_t {
public:
    // Connects to the broker. endpoints: a list in our notation ("tcp://host:5555",
    // ">ipc:///tmp/b", comma-separated; bare endpoints connect). Throws endpoint_error for
    // bad text, zmq::error_t if libzmq refuses.
    client_t(zmq::context_t& context, std::string_view endpoints, client_options_t options = {});
    ~client_t();
    client_t(const client_t&) = delete;
    client_t& operator=(const client_t&) = delete;

    // Sends body (at least one frame: an empty body is sent as one empty frame) to service
    // and waits for the FINAL reply, retrying on a fresh socket after each timeout, up to
    // options.retries times. Returns the reply's body, or nullopt when every attempt timed
    // out. on_partial, if given, sees each 0.2 PARTIAL body as it arrives (after a retry the
    // partials start again). Throws std::logic_error if asynchronous requests are
    // outstanding, interrupted_error on the stop descriptor, zmq::error_t on socket errors.
    std::optional<frames_t> call(std::string_view service, const frames_t& body,
                                 const std::function<void(const frames_t&)>& on_partial = {});

    // The same with this call's own timeout and retry count.
    std::optional<frames_t> call(std::string_view service, const frames_t& body,
                                 std::chrono::milliseconds timeout, int retries,
                                 const std::function<void(const frames_t&)>& on_partial = {});

    // Asynchronous requests: queues the request without waiting for its reply and returns
    // its id (1, 2, ...). Blocks only while the socket's send queue is full (high-water
    // mark), watching the stop descriptor. Any number may be in flight; no retries (a caller
    // that gives up calls reset()). Throws interrupted_error, zmq::error_t.
    // Works with both protocol versions; only 0.2 brings PARTIAL replies.
    std::uint64_t send(std::string_view service, const frames_t& body);

    // The next reply for an asynchronous request, waiting at most timeout (negative: for
    // ever); nullopt if none came. Malformed messages are dropped and counted.
    std::optional<reply_t> receive(std::chrono::milliseconds timeout);

    // Requests sent with send() whose FINAL has not arrived.
    std::size_t outstanding() const { return outstanding_count_; }

    // Forgets every outstanding request and starts over on a fresh socket, so no late reply
    // to them can arrive.
    void reset();

    // Messages received that were not valid replies (wrong header, too short, ...).
    std::uint64_t malformed_replies() const { return malformed_; }

    version protocol() const { return options_.protocol; }

private:
    enum class wait_outcome { readable, timeout };
    using deadline_t = std::optional<std::chrono::steady_clock::time_point>;
    void connect();
    // Queues the request on the socket, waiting while it is full. False if the deadline
    // passed first.
    bool send_request(std::string_view service, const frames_t& body, deadline_t deadline);
    // Waits until the socket has the events asked for; throws interrupted_error on stop_fd.
    wait_outcome wait_for(short events, deadline_t deadline);
    // Takes one message off the socket and decodes it; false if it was not a valid reply.
    bool read_reply(reply_t& reply);

    zmq::context_t& context_;
    client_options_t options_;
    endpoint_list_t endpoints_;
    std::unique_ptr<zmq::socket_t> socket_;
    std::map<std::string, std::deque<std::uint64_t>, std::less<>> outstanding_; // by service
    std::size_t outstanding_count_ = 0;
    std::uint64_t next_id_ = 1;
    std::uint64_t malformed_ = 0;
    std::vector<zmq::message_t> frames_; // reused for every received message
};

// "0.1" or "0.2" -> version. Throws std::invalid_argument naming the value otherwise.
version parse_version(std::string_view text);
// "0.1" or "0.2".
std::string_view version_name(version v);

} // namespace zd::mdp

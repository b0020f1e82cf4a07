// The forwarder's last-value cache: the latest message per topic, so that a subscriber that
// joins late gets the current value at once instead of waiting for the next update.
//
// A topic is a message's first frame (publish [topic, body...] to use it well; a
// single-frame message is its own topic). A subscription is a prefix, as in ZeroMQ, so a new
// subscriber gets the most recent message among the topics its prefix matches.
// The cache holds at most max_topics topics and forgets the least recently updated first.
//
// A cache must see every update of the topics it serves, whether or not anyone subscribes at
// the moment (or a publisher filters an update out and the next subscriber gets an old value
// as if it were current). So, like the zguide's lvcache, the forwarder subscribes upstream to
// everything (or to the prefixes it is given, and then caches only topics under them) for as
// long as it runs, and no subscriber's unsubscription takes that away.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>
#include <zmq.hpp>

namespace zd {

class last_value_cache_t {
public:
    explicit last_value_cache_t(std::size_t max_topics);

    // Keeps message (its frames are moved out) as the latest on its topic.
    void store(std::vector<zmq::message_t>& message);

    // The most recent message whose topic starts with prefix, or null if none.
    const std::vector<zmq::message_t>* latest_matching(std::string_view prefix) const;

    std::size_t size() const { return entries_.size(); }
    std::size_t max_topics() const { return max_topics_; }

    // Topics forgotten so far to make room for new ones.
    std::uint64_t evicted() const { return evicted_; }

private:
    struct entry_t {
        std::vector<zmq::message_t> message;
        std::uint64_t sequence; // when it was stored; larger is newer
    };
    std::size_t max_topics_;
    std::uint64_t next_sequence_ = 0;
    std::uint64_t evicted_ = 0;
    std::map<std::string, entry_t, std::less<>> entries_; // topic -> latest message
    std::map<std::uint64_t, std::string> topics_by_age_;  // sequence -> topic, for eviction
};

class proxy_observer_t;

// Makes a forwarder's XSUB/XPUB pair a last-value cache of the topics under prefixes (empty:
// every topic): subscribes the XSUB to those prefixes (every publisher that connects is told
// at once, and it stays so whatever subscribers do), puts the XPUB in manual subscription
// mode and returns the observer that caches what passes under the prefixes and answers new
// subscriptions. Call before the sockets attach. Throws std::runtime_error if libzmq lacks
// ZMQ_XPUB_MANUAL_LAST_VALUE (it needs libzmq 4.3.3 or later).
std::unique_ptr<proxy_observer_t> make_last_value_publisher(zmq::socket_t& xsub,
                                                            zmq::socket_t& xpub,
                                                            std::size_t max_topics,
                                                            std::vector<std::string> prefixes = {});

} // namespace zd

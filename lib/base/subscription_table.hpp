// A forwarder's subscriptions, for STATS and the SUBSCRIPTIONS command: the distinct topics
// that at least one downstream subscriber wants. Both engines feed it with what they pass
// upstream: the libzmq XPUB (not verbose) delivers only the first subscription to a topic and
// the last cancellation, the native forwarder does the same; with the last-value cache the
// XPUB is in manual mode and delivers every one, so topics are counted per subscription and
// a topic stays until its count is back to zero. Forwarders' loop probes (base/loop_probe.hpp)
// are not subscribers' topics and are left out. Socketless; used on the device's thread.
//
// It is also where the forwarder bounds its topics (--max-subscriptions, docs/LIMITS.md):
// a subscription to a topic the table does not hold while it holds max_topics is refused
// (admit() says so; the engines then neither pass it upstream nor serve it), counted in
// STATS (subscriptions.refused) and logged once a minute at most.
#pragma once

#include "base/rate_limited_log.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace zd {

class json_writer_t;

class subscription_table_t {
public:
    static constexpr std::size_t unlimited = std::size_t(-1);

    explicit subscription_table_t(std::size_t max_topics = unlimited) : max_topics_(max_topics) {}

    // Whether a subscription to topic may go ahead: the topic is held already, there is room
    // for one more, or it is a loop probe. If not, counts and (rate-limited) logs the refusal.
    bool admit(std::string_view topic);
    std::uint64_t refused() const { return refused_; }
    std::size_t max_topics() const { return max_topics_; }

    // The most topics a SUBSCRIPTIONS answer lists; the rest are counted, not listed.
    static constexpr std::size_t max_listed_topics = 1000;

    // A subscription to topic (a prefix, possibly empty: everything) went upstream.
    void subscribed(std::string_view topic);
    // A cancellation went upstream; one for a topic not subscribed is ignored.
    void unsubscribed(std::string_view topic);
    // A message as XPUB delivers it: 1 then the topic subscribes, 0 then the topic cancels;
    // anything else is not a subscription and is ignored.
    void observe(std::string_view message);

    // Distinct topics subscribed now.
    std::size_t count() const { return topics_.size(); }

    // Writes "subscriptions": {"count": N, "refused": R} as the next member of the object
    // json is in (and "max": M when bounded).
    void write_json(json_writer_t& json) const;

    // The SUBSCRIPTIONS answer: {"count": N, "topics": [...], "topics_not_listed": K}, the
    // topics in byte order, escaped as STATS escapes text (binary bytes as \u00XX), at most
    // max_listed of them.
    std::string list_json(std::size_t max_listed = max_listed_topics) const;

private:
    std::map<std::string, std::size_t, std::less<>> topics_; // topic -> subscriptions
    std::size_t max_topics_;
    std::uint64_t refused_ = 0;
    rate_limited_log_t refusal_log_{
        "subscriptions: a subscription to a new topic refused, neither passed upstream nor "
        "served (--max-subscriptions)"};
};

} // namespace zd

// A forwarder's subscriptions, for STATS and the SUBSCRIPTIONS command: the distinct topics
// that at least one downstream subscriber wants. Both engines feed it with what they pass
// upstream: the libzmq XPUB (not verbose) delivers only the first subscription to a topic and
// the last cancellation, the native forwarder does the same; with the last-value cache the
// XPUB is in manual mode and delivers every one, so topics are counted per subscription and
// a topic stays until its count is back to zero. Forwarders' loop probes (base/loop_probe.hpp)
// are not subscribers' topics and are left out. Socketless; used on the device's thread.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>

namespace zd {

class json_writer_t;

class subscription_table_t {
public:
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

    // Writes "subscriptions": {"count": N} as the next member of the object json is in.
    void write_json(json_writer_t& json) const;

    // The SUBSCRIPTIONS answer: {"count": N, "topics": [...], "topics_not_listed": K}, the
    // topics in byte order, escaped as STATS escapes text (binary bytes as \u00XX), at most
    // max_listed of them.
    std::string list_json(std::size_t max_listed = max_listed_topics) const;

private:
    std::map<std::string, std::size_t, std::less<>> topics_; // topic -> subscriptions
};

} // namespace zd

#include "proxy/last_value_cache.hpp"

#include "base/json_writer.hpp"
#include "base/log.hpp"
#include "base/loop_probe.hpp"
#include "proxy/proxy.hpp"

#include <stdexcept>
#include <string>
#include <utility>

namespace zd {

namespace {
// Draft option in libzmq 4.3.x (present in Debian's build): in manual mode, the next
// message goes only to the subscriber whose subscription was received last.
constexpr int xpub_manual_last_value = 98;

// Subscribes the XSUB upstream to prefix (the subscribe byte, then the prefix; "" is every
// topic). Returns whether the XSUB took it; an XSUB never blocks on a subscription.
bool send_subscription(zmq::socket_t& xsub, std::string_view prefix) {
    zmq::message_t message(prefix.size() + 1);
    auto* data = message.data<char>();
    data[0] = 1;
    prefix.copy(data + 1, prefix.size());
    return xsub.send(message, zmq::send_flags::dontwait).has_value();
}

bool matches_any(std::string_view topic, const std::vector<std::string>& prefixes) {
    for (const auto& prefix : prefixes)
        if (topic.starts_with(prefix)) return true;
    return false;
}
} // namespace

last_value_cache_t::last_value_cache_t(std::size_t max_topics) : max_topics_(max_topics) {}

void last_value_cache_t::store(std::vector<zmq::message_t>& message) {
    if (message.empty() || max_topics_ == 0) return;
    const std::string_view topic = message.front().to_string_view();
    auto found = entries_.find(topic);
    if (found == entries_.end()) {
        if (entries_.size() >= max_topics_) {
            auto oldest = topics_by_age_.begin();
            entries_.erase(oldest->second);
            topics_by_age_.erase(oldest);
            ++evicted_;
        }
        found = entries_.emplace(std::string(topic), entry_t{{}, 0}).first;
    } else {
        topics_by_age_.erase(found->second.sequence);
    }
    found->second.message = std::move(message);
    found->second.sequence = next_sequence_++;
    topics_by_age_.emplace(found->second.sequence, found->first);
    message.clear();
}

const std::vector<zmq::message_t>*
last_value_cache_t::latest_matching(std::string_view prefix) const {
    const entry_t* latest = nullptr;
    for (auto it = entries_.lower_bound(prefix);
         it != entries_.end() && std::string_view(it->first).starts_with(prefix); ++it)
        if (!latest || it->second.sequence > latest->sequence) latest = &it->second;
    return latest ? &latest->message : nullptr;
}

namespace {

class last_value_publisher_t : public proxy_observer_t {
public:
    last_value_publisher_t(zmq::socket_t& xpub, std::size_t max_topics,
                           std::vector<std::string> prefixes)
        : xpub_(xpub), cache_(max_topics), prefixes_(std::move(prefixes)) {}

    void forwarded_to_backend(std::vector<zmq::message_t>& message) override {
        // Only topics the cache subscribes to are sure to be current: others pass only while
        // someone subscribes to them.
        if (message.empty() || !matches_any(message.front().to_string_view(), prefixes_)) return;
        cache_.store(message);
        if (cache_.evicted() > 0 && !told_full_) {
            told_full_ = true;
            log::info("last-value cache full (" + std::to_string(cache_.size()) +
                      " topics): the least recently updated topics are forgotten from now on "
                      "(--lvc-max-topics)");
        }
    }

    // XPUB in manual mode hands us every (un)subscription; we must apply it ourselves.
    // Returns whether the proxy passes it upstream: not when one of our prefixes covers it.
    // Upstream already sends us all of it, and an upstream cache would answer it with its
    // cached value, which would reach this subscriber (and every other one of that topic
    // here) a second time, after ours: a chain of caches would repeat the value once a hop.
    // Other forwarders' loop probes always pass: they must travel to find cycles.
    bool forwarded_to_frontend(std::vector<zmq::message_t>& message) override {
        if (message.size() != 1 || message[0].size() == 0) return true;
        const auto* data = message[0].data<char>();
        const std::string_view topic(data + 1, message[0].size() - 1);
        if (is_loop_probe(topic)) return true; // not applied: no subscriber wants it
        const bool covered = matches_any(topic, prefixes_);
        if (data[0] == 0) {
            apply_subscription(ZMQ_UNSUBSCRIBE, topic);
            return !covered; // and so never takes away our own subscription to a prefix
        }
        if (data[0] != 1) return true;
        if (!apply_subscription(ZMQ_SUBSCRIBE, topic)) return !covered;
        const auto* latest = cache_.latest_matching(topic);
        if (!latest) return !covered;
        // Only while this flag is set does a send go to the new subscriber alone; leaving it
        // set would steer the next ordinary publication to that subscriber only.
        set_last_value_mode(1);
        for (std::size_t i = 0; i < latest->size(); ++i) {
            zmq::message_t copy;
            copy.copy(const_cast<zmq::message_t&>((*latest)[i]));
            const auto flags =
                i + 1 < latest->size() ? zmq::send_flags::sndmore : zmq::send_flags::none;
            (void)xpub_.send(copy, flags | zmq::send_flags::dontwait);
        }
        set_last_value_mode(0);
        return !covered;
    }

    // "last_value_cache": what it holds, its bound and what the bound cost.
    void write_stats(json_writer_t& json) const override {
        json.key("last_value_cache").begin_object();
        json.key("topics").value(std::uint64_t(cache_.size()));
        json.key("max_topics").value(std::uint64_t(cache_.max_topics()));
        json.key("evicted").value(cache_.evicted());
        json.end_object();
    }

private:
    // Setting ZMQ_XPUB_MANUAL_LAST_VALUE sets manual mode to the same value in libzmq
    // 4.3.4, so switching it off must switch manual mode back on.
    void set_last_value_mode(int on) {
        zmq_setsockopt(xpub_.handle(), xpub_manual_last_value, &on, sizeof on);
        if (!on) {
            const int manual = 1;
            zmq_setsockopt(xpub_.handle(), ZMQ_XPUB_MANUAL, &manual, sizeof manual);
        }
    }

    // Never throws: a subscription libzmq refuses is skipped, not a reason to stop.
    bool apply_subscription(int option, std::string_view topic) {
        return zmq_setsockopt(xpub_.handle(), option, topic.data(), topic.size()) == 0;
    }

    zmq::socket_t& xpub_;
    last_value_cache_t cache_;
    std::vector<std::string> prefixes_; // what the cache serves and subscribes upstream to
    bool told_full_ = false;            // the log says once that the cache is full
};

} // namespace

std::unique_ptr<proxy_observer_t> make_last_value_publisher(zmq::socket_t& xsub,
                                                            zmq::socket_t& xpub,
                                                            std::size_t max_topics,
                                                            std::vector<std::string> prefixes) {
    if (prefixes.empty()) prefixes.emplace_back(); // every topic
    int off = 0;
    if (zmq_setsockopt(xpub.handle(), xpub_manual_last_value, &off, sizeof off) != 0)
        throw std::runtime_error("--last-value-cache needs ZMQ_XPUB_MANUAL_LAST_VALUE "
                                 "(libzmq 4.3.3 or later built with draft options)");
    xpub.set(zmq::sockopt::xpub_manual, 1);
    // Kept in the XSUB's subscriptions, so every publisher that connects later gets them too.
    for (const auto& prefix : prefixes)
        if (!send_subscription(xsub, prefix))
            throw std::runtime_error("--last-value-cache: cannot subscribe the frontend to '" +
                                     prefix + "'");
    return std::make_unique<last_value_publisher_t>(xpub, max_topics, std::move(prefixes));
}

} // namespace zd

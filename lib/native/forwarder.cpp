#include "native/forwarder.hpp"

#include <set>

namespace zd {

namespace {

// A subscriber's topics, and apart from them the loop probes of the forwarders behind it:
// publications are matched against topics only.
struct subscriber_t : native_peer_extension_t {
    std::set<std::string, std::less<>> topics;
    std::set<std::string, std::less<>> probes;

    std::set<std::string, std::less<>>& set_for(std::string_view topic) {
        return is_loop_probe(topic) ? probes : topics;
    }

    bool wants(std::string_view topic) const {
        for (const auto& prefix : topics)
            if (topic.starts_with(prefix)) return true;
        return false;
    }
};

subscriber_t* subscriber_of(native_peer_t& peer) {
    return static_cast<subscriber_t*>(peer.extension.get());
}

// A subscription to a publisher, in the form its ZMTP version reads: a command for 3.1,
// a message of 1 (subscribe) or 0 (cancel) and the topic for 3.0.
void send_subscription(zmtp::connection_t& publisher, bool subscribe, std::string_view topic) {
    if (publisher.handshake().peer_minor_version() >= 1) {
        publisher.queue_command(subscribe ? "SUBSCRIBE" : "CANCEL", topic);
        return;
    }
    std::string message(1, subscribe ? '\1' : '\0');
    message += topic;
    publisher.queue_message({message});
}

} // namespace

void native_forwarder_t::peer_ready(native_side_t& side, native_peer_t& peer) {
    if (&side == &device_.frontend()) { // a publisher: everything subscribed so far
        for (const auto& [topic, count] : subscribed_)
            send_subscription(*peer.connection, true, topic);
        if (loop_probe_) send_subscription(*peer.connection, true, loop_probe_->topic());
        return;
    }
    peer.extension = std::make_unique<subscriber_t>();
    peer.connection->set_command_handler(
        [this, &peer](std::string_view name, std::string_view data) {
            if (name == "SUBSCRIBE") subscribe(peer, data);
            if (name == "CANCEL") cancel(peer, data);
        });
}

void native_forwarder_t::peer_gone(native_side_t& side, native_peer_t& peer) {
    if (&side == &device_.frontend() || !peer.extension) return;
    for (auto* set : {&subscriber_of(peer)->topics, &subscriber_of(peer)->probes}) {
        for (const auto& topic : *set)
            release(topic);
        set->clear();
    }
}

void native_forwarder_t::send_upstream(bool subscribe, std::string_view topic) {
    if (subscriptions_) {
        if (subscribe)
            subscriptions_->subscribed(topic);
        else
            subscriptions_->unsubscribed(topic);
    }
    direction_counters_t& way = device_.counters().backend_to_frontend;
    ++way.received_messages;
    way.received_bytes += 1 + topic.size();
    for (auto& publisher : device_.frontend().peers)
        if (publisher->announced && !publisher->connection->broken())
            send_subscription(*publisher->connection, subscribe, topic);
    ++way.sent_messages;
    way.sent_bytes += 1 + topic.size();
}

void native_forwarder_t::subscribe(native_peer_t& subscriber, std::string_view topic) {
    if (loop_probe_ && is_loop_probe(topic)) loop_probe_->check_downstream(topic); // throws
    auto& topics = subscriber_of(subscriber)->set_for(topic);
    if (topics.contains(topic)) return;                          // had it
    if (subscriptions_ && !subscriptions_->admit(topic)) return; // at --max-subscriptions
    topics.emplace(topic);
    auto [entry, added] = subscribed_.try_emplace(std::string(topic), 0);
    if (++entry->second == 1) send_upstream(true, topic);
}

void native_forwarder_t::cancel(native_peer_t& subscriber, std::string_view topic) {
    auto& topics = subscriber_of(subscriber)->set_for(topic);
    const auto mine = topics.find(topic);
    if (mine == topics.end()) return; // never subscribed: nothing to cancel
    topics.erase(mine);
    release(topic);
}

// One subscriber less for a topic; the last one's going is passed upstream.
void native_forwarder_t::release(std::string_view topic) {
    const auto entry = subscribed_.find(topic);
    if (entry == subscribed_.end() || --entry->second > 0) return;
    subscribed_.erase(entry);
    send_upstream(false, topic);
}

// ZMTP 3.0 subscribers subscribe with messages: 1 or 0, then the topic. Anything else a
// subscriber sends is not a subscription and goes nowhere.
void native_forwarder_t::read_subscriptions(native_peer_t& subscriber) {
    while (subscriber.connection->next_message(frames_)) {
        if (frames_.size() != 1 || frames_[0].empty()) continue;
        const char kind = frames_[0][0];
        if (kind == 1) subscribe(subscriber, frames_[0].substr(1));
        if (kind == 0) cancel(subscriber, frames_[0].substr(1));
    }
}

// Whether a subscriber holds as many messages as the mark lets it: where --no-drop holds
// the publishers.
bool native_forwarder_t::a_subscriber_is_full() const {
    const std::size_t mark = device_.send_mark();
    if (mark == 0) return false;
    for (const auto& peer : device_.backend().peers)
        if (peer->extension && !peer->connection->broken() &&
            peer->connection->queued_messages() >= mark)
            return true;
    return false;
}

// Every publication a publisher has buffered, to every subscriber that wants it.
void native_forwarder_t::publish_from(native_peer_t& publisher) {
    direction_counters_t& way = device_.counters().frontend_to_backend;
    const int hwm = device_.options().send_hwm;
    const std::size_t mark = hwm > 0 ? std::size_t(hwm) : std::numeric_limits<std::size_t>::max();
    while (true) {
        if (holds_publishers_ && a_subscriber_is_full()) {
            publisher.held = true; // read no more from it until the subscriber has room
            return;
        }
        if (!publisher.connection->next_message(frames_)) break;
        const std::uint64_t bytes = message_bytes(frames_);
        ++way.received_messages;
        way.received_bytes += bytes;
        ++publisher.messages_received;
        device_.capture(frames_);
        for (auto& peer : device_.backend().peers) {
            if (!peer->extension || peer->connection->broken() ||
                !subscriber_of(*peer)->wants(frames_[0]))
                continue;
            if (peer->connection->queued_messages() >= mark) {
                ++way.dropped_messages; // a slow subscriber misses it, as with XPUB
                continue;
            }
            peer->connection->queue_message(frames_);
            ++peer->messages_sent;
        }
        ++way.sent_messages;
        way.sent_bytes += bytes;
    }
    publisher.held = false;
}

// Writing to the subscribers can make room for a held publisher's messages.
bool native_forwarder_t::forward_again() const {
    return holds_publishers_ && !device_.paused() && any_held(device_.frontend()) &&
           !a_subscriber_is_full();
}

void native_forwarder_t::forward() {
    for (auto& subscriber : device_.backend().peers)
        if (subscriber->extension) read_subscriptions(*subscriber);
    if (device_.paused()) return;
    publishers_.visit(device_.frontend(),
                      [this](native_peer_t& publisher) { publish_from(publisher); });
}

} // namespace zd

#include "base/subscription_table.hpp"

#include "base/json_writer.hpp"
#include "base/loop_probe.hpp"

#include <string>

namespace zd {

bool subscription_table_t::admit(std::string_view topic) {
    if (topics_.size() < max_topics_ || is_loop_probe(topic) || topics_.contains(topic))
        return true;
    ++refused_;
    refusal_log_.report(std::to_string(max_topics_) + " topics held; " + std::to_string(refused_) +
                        " refused so far");
    return false;
}

void subscription_table_t::subscribed(std::string_view topic) {
    if (is_loop_probe(topic)) return; // a forwarder's, not a subscriber's
    auto entry = topics_.find(topic);
    if (entry == topics_.end()) entry = topics_.emplace(std::string(topic), 0).first;
    ++entry->second;
}

void subscription_table_t::unsubscribed(std::string_view topic) {
    if (is_loop_probe(topic)) return;
    const auto entry = topics_.find(topic);
    if (entry == topics_.end()) return;
    if (--entry->second == 0) topics_.erase(entry);
}

void subscription_table_t::observe(std::string_view message) {
    if (message.empty()) return;
    if (message[0] == 1) subscribed(message.substr(1));
    if (message[0] == 0) unsubscribed(message.substr(1));
}

void subscription_table_t::write_json(json_writer_t& json) const {
    json.key("subscriptions").begin_object().key("count").value(std::uint64_t(count()));
    json.key("refused").value(refused_);
    if (max_topics_ != unlimited) json.key("max").value(std::uint64_t(max_topics_));
    json.end_object();
}

std::string subscription_table_t::list_json(std::size_t max_listed) const {
    json_writer_t json;
    json.begin_object().key("count").value(std::uint64_t(count())).key("topics").begin_array();
    std::size_t listed = 0;
    for (const auto& [topic, subscriptions] : topics_) {
        if (listed == max_listed) break;
        json.value(std::string_view(topic));
        ++listed;
    }
    json.end_array().key("topics_not_listed").value(std::uint64_t(count() - listed));
    json.end_object();
    return json.str();
}

} // namespace zd

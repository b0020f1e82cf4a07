#include "base/identity_table.hpp"

#include <algorithm>
#include <vector>

namespace zd {

void identity_table_t::count(std::string_view user_id, std::string_view name) {
    if (user_id.empty()) return;
    if (!last_row_ || user_id != last_user_id_) {
        auto found = rows_.find(user_id);
        if (found == rows_.end()) {
            if (rows_.size() >= max_listed_) {
                ++unlisted_messages_;
                return;
            }
            found = rows_.emplace(std::string(user_id), row_t{{}, 0, rows_.size()}).first;
        }
        last_user_id_ = found->first;
        last_row_ = &found->second;
    }
    row_t& row = *last_row_;
    if (row.name.empty() && !name.empty()) row.name = name;
    ++row.messages;
}

std::uint64_t identity_table_t::messages(std::string_view user_id) const {
    const auto found = rows_.find(user_id);
    return found == rows_.end() ? 0 : found->second.messages;
}

void identity_table_t::write_json(json_writer_t& json) const {
    std::vector<const decltype(rows_)::value_type*> ordered;
    ordered.reserve(rows_.size());
    for (const auto& entry : rows_)
        ordered.push_back(&entry);
    std::sort(ordered.begin(), ordered.end(),
              [](const auto* a, const auto* b) { return a->second.order < b->second.order; });
    json.begin_object().key("listed").begin_array();
    for (const auto* entry : ordered) {
        json.begin_object().key("user_id").value(entry->first).key("name");
        if (entry->second.name.empty())
            json.null();
        else
            json.value(entry->second.name);
        json.key("messages").value(entry->second.messages).end_object();
    }
    json.end_array()
        .key("unlisted_messages")
        .value(unlisted_messages_)
        .key("max_listed")
        .value(std::uint64_t(max_listed_))
        .end_object();
}

} // namespace zd

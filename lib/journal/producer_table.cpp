// The producers' dedup table (see producer_table.hpp): a hash map for lookups and a list in
// recency order for eviction, the map's keys shared by pointer (node-based, so stable).
#include "journal/producer_table.hpp"

#include <algorithm>

namespace zd::journal {

void producer_table_t::touch(std::string_view id, std::uint64_t seq) {
    auto it = producers_.find(id);
    if (it == producers_.end()) {
        it = producers_.emplace(std::string(id), entry_t{}).first;
        recency_.push_front(&it->first);
        it->second.recency = recency_.begin();
        if (producers_.size() > capacity_) {
            const std::string* oldest = recency_.back();
            recency_.pop_back();
            producers_.erase(producers_.find(*oldest));
        }
    } else if (it->second.recency != recency_.begin()) {
        recency_.splice(recency_.begin(), recency_, it->second.recency);
    }
    it->second.state.last_seq = std::max(it->second.state.last_seq, seq);
}

const producer_state_t* producer_table_t::find(std::string_view id) const {
    const auto it = producers_.find(id);
    return it == producers_.end() ? nullptr : &it->second.state;
}

} // namespace zd::journal

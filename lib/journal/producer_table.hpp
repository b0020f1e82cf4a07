// The dedup table: the highest sequence each producer id has appended, for at most a fixed
// number of ids. The least recently seen id is forgotten first (LRU), so memory stays bounded
// however many producers come and go; a forgotten producer is simply unknown again.
#pragma once

#include "journal/log.hpp"

#include <cstddef>
#include <cstdint>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>

namespace zd::journal {

class producer_table_t {
public:
    // Keeps at most capacity producer ids (at least 1).
    explicit producer_table_t(std::size_t capacity) : capacity_(capacity) {}

    // Notes that producer id appended seq: its last_seq becomes the highest seen, and it
    // becomes the most recently seen. A new id past capacity forgets the least recent one.
    void touch(std::string_view id, std::uint64_t seq);

    // The producer's state, or nullptr if unknown (never seen or forgotten).
    const producer_state_t* find(std::string_view id) const;

    std::size_t size() const { return producers_.size(); }

private:
    struct string_hash_t {
        using is_transparent = void;
        std::size_t operator()(std::string_view text) const noexcept {
            return std::hash<std::string_view>{}(text);
        }
    };
    struct entry_t {
        producer_state_t state;
        std::list<const std::string*>::iterator recency; // its place in recency_
    };

    std::size_t capacity_;
    std::unordered_map<std::string, entry_t, string_hash_t, std::equal_to<>> producers_;
    std::list<const std::string*> recency_; // ids, most recently seen first
};

} // namespace zd::journal

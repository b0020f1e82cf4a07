// Per-identity traffic counts for STATS: how many messages each authenticated peer (ZAP
// User-Id, with its certificate name) sent to a device. Bounded: the first max_listed
// identities seen get a row each; traffic from any further one is only added to `unlisted`,
// so a stream of new keys cannot grow a device's memory. Single-threaded (the device's loop).
#pragma once

#include "base/json_writer.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

namespace zd {

class identity_table_t {
public:
    static constexpr std::size_t default_max_listed = 100;

    explicit identity_table_t(std::size_t max_listed = default_max_listed)
        : max_listed_(max_listed) {}

    // Counts one message from user_id (ignored when empty: an unauthenticated peer). The
    // name is kept from the first message that had one. Allocates only for a new row.
    void count(std::string_view user_id, std::string_view name);

    std::size_t listed() const { return rows_.size(); }
    std::uint64_t unlisted_messages() const { return unlisted_messages_; }
    // Messages counted for user_id so far (0 when unknown or unlisted).
    std::uint64_t messages(std::string_view user_id) const;

    // Writes {"listed": [{"user_id", "name", "messages"}...], "unlisted_messages": N,
    // "max_listed": M}, rows in the order their identity was first seen.
    void write_json(json_writer_t& json) const;

private:
    struct row_t {
        std::string name;
        std::uint64_t messages = 0;
        std::uint64_t order = 0; // when first seen, for a stable listing
    };
    struct string_hash_t {
        using is_transparent = void;
        std::size_t operator()(std::string_view text) const {
            return std::hash<std::string_view>()(text);
        }
    };
    std::unordered_map<std::string, row_t, string_hash_t, std::equal_to<>> rows_;
    // The row counted last: a stream from one peer skips the hash look-up (map nodes do not
    // move, so the key and row stay valid).
    std::string_view last_user_id_;
    row_t* last_row_ = nullptr;
    std::size_t max_listed_;
    std::uint64_t unlisted_messages_ = 0;
};

} // namespace zd

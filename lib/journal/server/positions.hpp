// Where a SUB or READ position points in the log now: the forms of docs/JOURNAL.md
// ("stored", "earliest", "latest", an offset, "@" + ms), or the ERR that refuses it.
#pragma once

#include "journal/client/protocol.hpp"
#include "journal/log.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace zd::journal::server {

struct resolved_t {
    bool ok = false;
    std::uint64_t offset = 0;    // when ok
    std::string_view error_code; // else: protocol::status_*
    std::string error_text;      // and why
};

// stored: the name's stored offset, if it has one (SUB only; a READ never says "stored").
// Offsets below the retained range are refused 404, past the committed end 400.
resolved_t resolve_position(const log_t& log, const protocol::position_t& position,
                            const std::uint64_t* stored);

} // namespace zd::journal::server

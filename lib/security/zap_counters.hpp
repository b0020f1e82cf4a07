// What the ZAP handler counts, for STATS: every request answered, by outcome.
#pragma once

#include "security/zap_policy.hpp"

#include <cstdint>

namespace zd::security {

struct zap_counters_t {
    std::uint64_t accepted = 0;
    std::uint64_t refused_unknown_key = 0;
    std::uint64_t refused_address_denied = 0;
    std::uint64_t refused_mechanism = 0;
    std::uint64_t refused_malformed = 0;

    std::uint64_t refused() const {
        return refused_unknown_key + refused_address_denied + refused_mechanism + refused_malformed;
    }
    // The counter of a decision's outcome.
    std::uint64_t& of(zap_refusal refusal) {
        switch (refusal) {
        case zap_refusal::unknown_key:
            return refused_unknown_key;
        case zap_refusal::address_denied:
            return refused_address_denied;
        case zap_refusal::mechanism:
            return refused_mechanism;
        case zap_refusal::malformed:
            return refused_malformed;
        case zap_refusal::none:
            break;
        }
        return accepted;
    }
};

} // namespace zd::security

// The ZAP decision: see zap_policy.hpp for the order of the checks.
#include "security/zap_policy.hpp"

#include <stdexcept>
#include <zmq.h>

namespace zd::security {

namespace {

constexpr std::size_t z85_key_chars = 40;

void check_z85_key(const std::string& key) {
    std::uint8_t decoded[curve_key_bytes];
    if (key.size() != z85_key_chars || zmq_z85_decode(decoded, key.c_str()) == nullptr)
        throw std::invalid_argument("curve_allowed: '" + key +
                                    "' is not a CURVE public key (40 Z85 characters)");
}

zap_decision_t refuse(zap_refusal refusal, std::string text) {
    zap_decision_t decision;
    decision.status = zap_status::refused;
    decision.status_text = std::move(text);
    decision.refusal = refusal;
    return decision;
}

zap_decision_t welcome() {
    zap_decision_t decision;
    decision.status = zap_status::ok;
    decision.status_text = "OK";
    return decision;
}

} // namespace

const char* describe(zap_refusal refusal) {
    switch (refusal) {
    case zap_refusal::none:
        return "accepted";
    case zap_refusal::unknown_key:
        return "unknown key";
    case zap_refusal::address_denied:
        return "address denied";
    case zap_refusal::mechanism:
        return "mechanism not served";
    case zap_refusal::malformed:
        return "malformed request";
    }
    return "unknown";
}

std::string z85_of_curve_key(std::string_view key) {
    char text[z85_key_chars + 1] = {};
    if (key.size() != curve_key_bytes ||
        zmq_z85_encode(text, reinterpret_cast<const std::uint8_t*>(key.data()), key.size()) ==
            nullptr)
        return {};
    return text;
}

zap_policy_t::zap_policy_t(zap_policy_config_t config)
    : config_(std::move(config)), allow_(config_.ip_allow, "ip_allow"),
      deny_(config_.ip_deny, "ip_deny") {
    for (const auto& key : config_.curve_allowed) {
        check_z85_key(key.public_key_z85);
        key_names_.emplace(key.public_key_z85, key.name); // a duplicate keeps the first name
    }
}

zap_decision_t zap_policy_t::decide(const zap_request_t& request) const {
    if (deny_.matches(request.address))
        return refuse(zap_refusal::address_denied, "address denied");
    if (!allow_.empty() && !allow_.matches(request.address))
        return refuse(zap_refusal::address_denied, "address not allowed");
    switch (request.mechanism) {
    case zap_mechanism::null:
        return welcome();
    case zap_mechanism::curve:
        return decide_curve(request);
    case zap_mechanism::plain:
    case zap_mechanism::gssapi:
        break;
    }
    return refuse(zap_refusal::mechanism,
                  std::string("mechanism ") + mechanism_name(request.mechanism) + " not served");
}

zap_decision_t zap_policy_t::decide_curve(const zap_request_t& request) const {
    if (request.credentials.size() != 1)
        return malformed(zap_parse_error::wrong_credentials); // parse_zap_request rules it out
    std::string key = z85_of_curve_key(request.credentials[0]);
    if (key.empty()) return malformed(zap_parse_error::curve_key_size);
    const auto known = key_names_.find(std::string_view(key));
    if (known == key_names_.end() && !config_.curve_allow_any)
        return refuse(zap_refusal::unknown_key, "unknown key");
    zap_decision_t decision = welcome();
    if (known != key_names_.end() && !known->second.empty())
        decision.metadata.emplace_back("name", known->second);
    decision.user_id = std::move(key);
    return decision;
}

zap_decision_t zap_policy_t::malformed(zap_parse_error error) {
    zap_decision_t decision;
    decision.status = zap_status::internal;
    decision.status_text = std::string("malformed request: ") + describe(error);
    decision.refusal = zap_refusal::malformed;
    return decision;
}

bool zap_policy_t::is_allowed(std::string_view user_id) const {
    return config_.curve_allow_any || key_names_.find(user_id) != key_names_.end();
}

} // namespace zd::security

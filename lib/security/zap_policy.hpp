// Who gets in: the ZAP handler's decision for one request, without sockets. The policy is
// immutable once made (the handler swaps a whole new one on reload), so any thread may ask
// it, and its config is checked when it is made: a bad IP entry or Z85 key throws there, at
// start or reload, never while serving.
//
// Order, for every mechanism: the deny list wins; then a non-empty allow list lets in only the
// addresses it lists; then the mechanism: NULL passes, CURVE passes if its key is allowed
// (or curve_allow_any), anything else (PLAIN, GSSAPI: we serve neither) is refused.
#pragma once

#include "security/ip_filter.hpp"
#include "security/zap_request.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace zd::security {

struct allowed_key_t {
    std::string public_key_z85; // 40 characters
    std::string name;           // the certificate's name metadata; may be empty
};

struct zap_policy_config_t {
    bool curve_allow_any = false;             // encryption without authentication
    std::vector<allowed_key_t> curve_allowed; // the allow-list (--curve-allow DIR)
    std::vector<std::string> ip_allow;        // addresses or CIDR blocks, IPv4 or IPv6
    std::vector<std::string> ip_deny;
};

// Why a request was refused; none when it was not.
enum class zap_refusal { none, unknown_key, address_denied, mechanism, malformed };
const char* describe(zap_refusal refusal);

struct zap_decision_t {
    zap_status status = zap_status::refused;
    std::string status_text;
    std::string user_id;     // CURVE: the client's Z85 public key; NULL: empty
    zap_metadata_t metadata; // {"name", certificate name} when the key has one
    zap_refusal refusal = zap_refusal::none;
};

class zap_policy_t {
public:
    // Throws std::invalid_argument naming the bad entry: an IP entry (see parse_cidr_block,
    // lists named "ip_allow"/"ip_deny") or a key that is not 40 Z85 characters.
    explicit zap_policy_t(zap_policy_config_t config);

    // The answer to a well-formed request.
    zap_decision_t decide(const zap_request_t& request) const;
    // The answer to a malformed one: 500, counted as malformed.
    static zap_decision_t malformed(zap_parse_error error);

    // Whether a message whose User-Id is user_id may still pass (revocation, checked per
    // message by a device): true if curve_allow_any, else if user_id is an allowed Z85 key.
    // A hash look-up; no allocation.
    bool is_allowed(std::string_view user_id) const;

    const zap_policy_config_t& config() const { return config_; }

private:
    struct string_hash_t {
        using is_transparent = void;
        std::size_t operator()(std::string_view text) const {
            return std::hash<std::string_view>{}(text);
        }
    };
    using key_names_t =
        std::unordered_map<std::string, std::string, string_hash_t, std::equal_to<>>;

    zap_decision_t decide_curve(const zap_request_t& request) const;

    zap_policy_config_t config_;
    ip_filter_t allow_;
    ip_filter_t deny_;
    key_names_t key_names_; // Z85 public key -> certificate name
};

// Z85 of a 32-byte CURVE key (40 characters).
std::string z85_of_curve_key(std::string_view key);

} // namespace zd::security

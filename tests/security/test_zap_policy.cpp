// Who gets in (lib/security/zap_policy.hpp), without sockets: the deny list wins, a non-empty
// allow list admits only its addresses, CURVE keys must be listed unless allow-any, PLAIN and
// GSSAPI are refused; the user id is the client's Z85 key, the certificate's name rides as
// metadata; is_allowed answers revocation per message.
#include "security/zap_counters.hpp"
#include "security/zap_policy.hpp"

#include <catch2/catch.hpp>
#include <zmq.h>

using namespace zd::security;

namespace {

struct test_key_t {
    std::string public_z85;
    std::string binary; // 32 bytes, as in a ZAP request
};

test_key_t new_key() {
    char public_key[41], secret_key[41];
    REQUIRE(zmq_curve_keypair(public_key, secret_key) == 0);
    std::string binary(32, '\0');
    REQUIRE(zmq_z85_decode(reinterpret_cast<std::uint8_t*>(binary.data()), public_key));
    return {public_key, binary};
}

zap_request_t request_from(std::string address, zap_mechanism mechanism,
                           std::vector<std::string> credentials = {}) {
    zap_request_t request;
    request.request_id = "1";
    request.domain = "test";
    request.address = std::move(address);
    request.mechanism = mechanism;
    request.credentials = std::move(credentials);
    return request;
}

zap_request_t curve_from(std::string address, const test_key_t& key) {
    return request_from(std::move(address), zap_mechanism::curve, {key.binary});
}

} // namespace

TEST_CASE("with no lists, a NULL peer gets in with no user id", "[zap][policy]") {
    const zap_policy_t policy({});
    const auto decision = policy.decide(request_from("192.0.2.1", zap_mechanism::null));
    CHECK(decision.status == zap_status::ok);
    CHECK(decision.refusal == zap_refusal::none);
    CHECK(decision.user_id.empty());
    CHECK(decision.metadata.empty());
}

TEST_CASE("a listed CURVE key gets in as its Z85 key, with its certificate's name",
          "[zap][policy]") {
    const test_key_t key = new_key();
    const zap_policy_t policy({false, {{key.public_z85, "hub-a"}}, {}, {}});
    const auto decision = policy.decide(curve_from("127.0.0.1", key));
    CHECK(decision.status == zap_status::ok);
    CHECK(decision.user_id == key.public_z85);
    CHECK(decision.metadata == zap_metadata_t{{"name", "hub-a"}});
}

TEST_CASE("a listed key without a name has no metadata", "[zap][policy]") {
    const test_key_t key = new_key();
    const zap_policy_t policy({false, {{key.public_z85, ""}}, {}, {}});
    CHECK(policy.decide(curve_from("127.0.0.1", key)).metadata.empty());
}

TEST_CASE("an unknown CURVE key is refused, unless any key is allowed", "[zap][policy]") {
    const test_key_t known = new_key(), stranger = new_key();
    const zap_policy_t strict({false, {{known.public_z85, "a"}}, {}, {}});
    const auto refused = strict.decide(curve_from("127.0.0.1", stranger));
    CHECK(refused.status == zap_status::refused);
    CHECK(refused.refusal == zap_refusal::unknown_key);
    CHECK(refused.user_id.empty());

    const zap_policy_t open({true, {}, {}, {}});
    const auto welcomed = open.decide(curve_from("127.0.0.1", stranger));
    CHECK(welcomed.status == zap_status::ok);
    CHECK(welcomed.user_id == stranger.public_z85);
}

TEST_CASE("the deny list wins over the allow list and over a known key", "[zap][policy]") {
    const test_key_t key = new_key();
    const zap_policy_t policy({true, {{key.public_z85, "a"}}, {"127.0.0.0/8"}, {"127.0.0.1"}});
    for (const auto& request :
         {request_from("127.0.0.1", zap_mechanism::null), curve_from("127.0.0.1", key)}) {
        const auto decision = policy.decide(request);
        CHECK(decision.status == zap_status::refused);
        CHECK(decision.refusal == zap_refusal::address_denied);
    }
    CHECK(policy.decide(curve_from("127.0.0.2", key)).status == zap_status::ok);
}

TEST_CASE("a non-empty allow list admits only its addresses, for every mechanism",
          "[zap][policy]") {
    const test_key_t key = new_key();
    const zap_policy_t policy({false, {{key.public_z85, ""}}, {"10.0.0.0/8", "::1"}, {}});
    CHECK(policy.decide(request_from("10.1.2.3", zap_mechanism::null)).status == zap_status::ok);
    CHECK(policy.decide(request_from("::1", zap_mechanism::null)).status == zap_status::ok);
    CHECK(policy.decide(curve_from("10.9.9.9", key)).status == zap_status::ok);
    for (const auto& request :
         {request_from("11.0.0.1", zap_mechanism::null), curve_from("192.0.2.1", key),
          request_from(":1000:1000:42", zap_mechanism::null),
          request_from("", zap_mechanism::null)})
        CHECK(policy.decide(request).refusal == zap_refusal::address_denied);
}

TEST_CASE("PLAIN and GSSAPI are refused even from an allowed address", "[zap][policy]") {
    const zap_policy_t policy({true, {}, {"127.0.0.1"}, {}});
    const auto plain =
        policy.decide(request_from("127.0.0.1", zap_mechanism::plain, {"admin", "admin"}));
    CHECK(plain.status == zap_status::refused);
    CHECK(plain.refusal == zap_refusal::mechanism);
    CHECK(plain.status_text == "mechanism PLAIN not served");
    CHECK(policy.decide(request_from("127.0.0.1", zap_mechanism::gssapi, {"p"})).refusal ==
          zap_refusal::mechanism);
}

TEST_CASE("a malformed request is answered 500", "[zap][policy]") {
    const auto decision = zap_policy_t::malformed(zap_parse_error::curve_key_size);
    CHECK(decision.status == zap_status::internal);
    CHECK(decision.refusal == zap_refusal::malformed);
    CHECK(decision.status_text == "malformed request: CURVE key is not 32 bytes");
}

TEST_CASE("a bad key or address in the config is refused when the policy is made",
          "[zap][policy]") {
    CHECK_THROWS_WITH(zap_policy_t({false, {{"short", ""}}, {}, {}}),
                      "curve_allowed: 'short' is not a CURVE public key (40 Z85 characters)");
    const std::string not_z85(40, '~'); // '~' is outside the Z85 alphabet
    CHECK_THROWS_AS(zap_policy_t({false, {{not_z85, ""}}, {}, {}}), std::invalid_argument);
    CHECK_THROWS_WITH(zap_policy_t({false, {}, {}, {"10.0.0.0/40"}}),
                      Catch::Contains("ip_deny: '10.0.0.0/40'"));
    CHECK_THROWS_WITH(zap_policy_t({false, {}, {"nowhere"}, {}}),
                      Catch::Contains("ip_allow: 'nowhere'"));
}

TEST_CASE("is_allowed answers for listed keys only, or for all with allow-any", "[zap][policy]") {
    const test_key_t listed = new_key(), other = new_key();
    const zap_policy_t policy({false, {{listed.public_z85, "a"}}, {}, {}});
    CHECK(policy.is_allowed(listed.public_z85));
    CHECK_FALSE(policy.is_allowed(other.public_z85));
    CHECK_FALSE(policy.is_allowed(""));
    const zap_policy_t open({true, {}, {}, {}});
    CHECK(open.is_allowed(other.public_z85));
}

TEST_CASE("each outcome has its own counter", "[zap][policy]") {
    zap_counters_t counters;
    for (auto refusal : {zap_refusal::none, zap_refusal::none, zap_refusal::unknown_key,
                         zap_refusal::address_denied, zap_refusal::mechanism,
                         zap_refusal::malformed, zap_refusal::malformed})
        ++counters.of(refusal);
    CHECK(counters.accepted == 2);
    CHECK(counters.refused_unknown_key == 1);
    CHECK(counters.refused_address_denied == 1);
    CHECK(counters.refused_mechanism == 1);
    CHECK(counters.refused_malformed == 2);
    CHECK(counters.refused() == 5);
}

// Fuzz target: the ZAP handler's view of a request (lib/security/zap_request.hpp and
// zap_policy.hpp). The input is split into frames as in fuzz_mdp_codec: first byte the frame
// count (0-15), then per frame a length byte (255 means 255 plus the next byte) and that many
// bytes. Parsing never reads past the frames; what parses re-encodes to the same request;
// the decision on it is one of the statuses we send and its reply round trips; metadata
// decoding of arbitrary bytes either fails or re-encodes to the same bytes.
#include "security/zap_policy.hpp"
#include "security/zap_request.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

namespace {

using namespace zd::security;

void require(bool condition) {
    if (!condition) std::abort();
}

const zap_policy_t& policy() {
    // A key of 32 bytes of 'A' is listed (Z85 of it below), so a fuzzed CURVE request can
    // reach the welcome path as well as the unknown-key one.
    static const zap_policy_t instance({false,
                                        {{z85_of_curve_key(std::string(32, 'A')), "fuzz"}},
                                        {"127.0.0.0/8", "::1", "10.0.0.0/8"},
                                        {"10.0.0.7", "fe80::/10"}});
    return instance;
}

void check_decision(const zap_request_t& request) {
    const zap_decision_t decision = policy().decide(request);
    require(decision.status == zap_status::ok || decision.status == zap_status::refused);
    require((decision.status == zap_status::ok) == (decision.refusal == zap_refusal::none));
    if (decision.status == zap_status::ok && request.mechanism == zap_mechanism::curve)
        require(decision.user_id.size() == 40 && policy().is_allowed(decision.user_id));
    if (request.mechanism != zap_mechanism::curve) require(decision.user_id.empty());

    const auto frames =
        encode_zap_reply({request.routing_id, request.request_id, decision.status,
                          decision.status_text, decision.user_id, decision.metadata});
    std::vector<std::string_view> views(frames.begin(), frames.end());
    zap_reply_t reply;
    require(parse_zap_reply(views.data(), views.size(), reply));
    require(reply.request_id == request.request_id && reply.status == decision.status &&
            reply.user_id == decision.user_id && reply.metadata == decision.metadata);
}

void check_parsed(const zap_parsed_t& parsed) {
    require(describe(parsed.error) != nullptr);
    if (!parsed.ok()) return;
    const auto frames = encode_zap_request(parsed.request);
    std::vector<std::string_view> views(frames.begin(), frames.end());
    const zap_parsed_t again = parse_zap_request(views.data(), views.size());
    require(again.ok());
    require(again.request.routing_id == parsed.request.routing_id &&
            again.request.request_id == parsed.request.request_id &&
            again.request.domain == parsed.request.domain &&
            again.request.address == parsed.request.address &&
            again.request.identity == parsed.request.identity &&
            again.request.mechanism == parsed.request.mechanism &&
            again.request.credentials == parsed.request.credentials);
    check_decision(parsed.request);
}

void check_metadata(std::string_view bytes) {
    zap_metadata_t metadata;
    if (decode_zap_metadata(bytes, metadata)) require(encode_zap_metadata(metadata) == bytes);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::size_t count = data[0] % 16;
    std::vector<std::vector<char>> storage; // exact-size copies: ASan sees a read past one
    std::size_t at = 1;
    for (std::size_t i = 0; i < count && at < size; ++i) {
        std::size_t declared = data[at++];
        if (declared == 255 && at < size) declared += data[at++];
        const std::size_t length = std::min<std::size_t>(declared, size - at);
        storage.emplace_back(data + at, data + at + length);
        at += length;
    }
    std::vector<std::string_view> frames;
    for (const auto& frame : storage)
        frames.emplace_back(frame.data(), frame.size());

    check_parsed(parse_zap_request(frames.data(), frames.size()));
    if (!frames.empty()) check_metadata(frames.back());
    return 0;
}

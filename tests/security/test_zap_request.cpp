// The ZAP codec (lib/security/zap_request.hpp): requests and replies round trip, every
// malformation has its own error, and metadata is ZMTP's (1-byte name length, 4-byte value
// length, big-endian).
#include "security/zap_request.hpp"

#include <catch2/catch.hpp>

using namespace zd::security;

namespace {

zap_parsed_t parse(const std::vector<std::string>& frames) {
    std::vector<std::string_view> views(frames.begin(), frames.end());
    return parse_zap_request(views.data(), views.size());
}

zap_request_t curve_request() {
    zap_request_t request;
    request.routing_id = std::string("\0\x80\0\0\x29", 5);
    request.request_id = "1";
    request.domain = "global";
    request.address = "127.0.0.1";
    request.identity = "";
    request.mechanism = zap_mechanism::curve;
    request.credentials = {std::string(32, '\x07')};
    return request;
}

// A well-formed request frame list with frame i replaced (i counts from the routing id).
std::vector<std::string> with_frame(std::size_t i, std::string value) {
    auto frames = encode_zap_request(curve_request());
    frames.at(i) = std::move(value);
    return frames;
}

} // namespace

TEST_CASE("a request of each mechanism round trips", "[zap]") {
    for (const auto& [mechanism, credentials] :
         std::vector<std::pair<zap_mechanism, std::vector<std::string>>>{
             {zap_mechanism::null, {}},
             {zap_mechanism::plain, {"user", "secret"}},
             {zap_mechanism::curve, {std::string(32, '\0')}},
             {zap_mechanism::gssapi, {"principal@REALM"}}}) {
        zap_request_t request = curve_request();
        request.mechanism = mechanism;
        request.credentials = credentials;
        const auto parsed = parse(encode_zap_request(request));
        INFO(mechanism_name(mechanism));
        REQUIRE(parsed.ok());
        CHECK(parsed.request.routing_id == request.routing_id);
        CHECK(parsed.request.request_id == "1");
        CHECK(parsed.request.domain == "global");
        CHECK(parsed.request.address == "127.0.0.1");
        CHECK(parsed.request.mechanism == mechanism);
        CHECK(parsed.request.credentials == credentials);
    }
}

TEST_CASE("a request with no envelope cannot be answered", "[zap]") {
    CHECK(parse({}).error == zap_parse_error::no_envelope);
    CHECK(parse({"id"}).error == zap_parse_error::no_envelope);
    const auto no_delimiter = parse(with_frame(1, "x"));
    CHECK(no_delimiter.error == zap_parse_error::missing_delimiter);
    CHECK_FALSE(no_delimiter.answerable());
}

TEST_CASE("a short request is answerable with its request id", "[zap]") {
    const auto parsed = parse({"id", "", "1.0", "42", "domain"});
    CHECK(parsed.error == zap_parse_error::missing_frames);
    CHECK(parsed.answerable());
    CHECK(parsed.request.routing_id == "id");
    CHECK(parsed.request.request_id == "42");
    CHECK(parse({"id", ""}).error == zap_parse_error::missing_frames);
}

TEST_CASE("a request of another ZAP version is refused", "[zap]") {
    CHECK(parse(with_frame(2, "2.0")).error == zap_parse_error::wrong_version);
    CHECK(parse(with_frame(2, "")).error == zap_parse_error::wrong_version);
}

TEST_CASE("an unknown mechanism is an error of its own", "[zap]") {
    CHECK(parse(with_frame(7, "KERBEROS")).error == zap_parse_error::unknown_mechanism);
    CHECK(parse(with_frame(7, "curve")).error == zap_parse_error::unknown_mechanism);
}

TEST_CASE("each mechanism takes its own number of credential frames", "[zap]") {
    auto frames = encode_zap_request(curve_request());
    frames.pop_back(); // CURVE without its key
    CHECK(parse(frames).error == zap_parse_error::wrong_credentials);
    frames.push_back(std::string(32, 'k'));
    frames.push_back("extra");
    CHECK(parse(frames).error == zap_parse_error::wrong_credentials);

    auto null = curve_request();
    null.mechanism = zap_mechanism::null; // with the key still there
    CHECK(parse(encode_zap_request(null)).error == zap_parse_error::wrong_credentials);
    auto plain = curve_request();
    plain.mechanism = zap_mechanism::plain; // one frame, not two
    CHECK(parse(encode_zap_request(plain)).error == zap_parse_error::wrong_credentials);
}

TEST_CASE("a CURVE key must be 32 bytes", "[zap]") {
    CHECK(parse(with_frame(8, std::string(31, 'k'))).error == zap_parse_error::curve_key_size);
    CHECK(parse(with_frame(8, std::string(33, 'k'))).error == zap_parse_error::curve_key_size);
    CHECK(parse(with_frame(8, std::string(40, 'k'))).error == zap_parse_error::curve_key_size);
}

TEST_CASE("every parse error has a description", "[zap]") {
    for (int error = 0; error <= int(zap_parse_error::curve_key_size); ++error)
        CHECK(std::string(describe(zap_parse_error(error))).size() > 3);
}

TEST_CASE("metadata is encoded as ZMTP properties", "[zap]") {
    const std::string bytes = encode_zap_metadata({{"name", "hub-a"}, {"X-Empty", ""}});
    CHECK(bytes == std::string("\x04name\0\0\0\x05hub-a\x07X-Empty\0\0\0\0", 26));
    zap_metadata_t decoded;
    REQUIRE(decode_zap_metadata(bytes, decoded));
    CHECK(decoded == zap_metadata_t{{"name", "hub-a"}, {"X-Empty", ""}});
    CHECK(encode_zap_metadata({}).empty());
}

TEST_CASE("metadata that runs past its end or has an empty name is refused", "[zap]") {
    const std::string bytes = encode_zap_metadata({{"name", "hub-a"}});
    zap_metadata_t decoded;
    for (std::size_t cut = 1; cut < bytes.size(); ++cut)
        CHECK_FALSE(decode_zap_metadata(std::string_view(bytes).substr(0, cut), decoded));
    CHECK_FALSE(decode_zap_metadata(std::string("\0\0\0\0\0", 5), decoded));
    CHECK_FALSE(decode_zap_metadata(std::string("\x01n\xff\xff\xff\xff", 6), decoded));
}

TEST_CASE("metadata names that ZMTP cannot carry are a programming error", "[zap]") {
    CHECK_THROWS_AS(encode_zap_metadata({{"", "value"}}), std::invalid_argument);
    CHECK_THROWS_AS(encode_zap_metadata({{std::string(256, 'n'), "value"}}), std::invalid_argument);
    CHECK_NOTHROW(encode_zap_metadata({{std::string(255, 'n'), "value"}}));
}

TEST_CASE("a reply round trips with its status, user id and metadata", "[zap]") {
    for (auto status :
         {zap_status::ok, zap_status::temporary, zap_status::refused, zap_status::internal}) {
        const zap_reply_t reply{"id", "7", status, "text", "USERID", {{"name", "hub-a"}}};
        const auto frames = encode_zap_reply(reply);
        REQUIRE(frames.size() == 8);
        CHECK(frames[1].empty());
        CHECK(frames[2] == "1.0");
        CHECK(frames[4] == std::to_string(int(status)));
        std::vector<std::string_view> views(frames.begin(), frames.end());
        zap_reply_t parsed;
        REQUIRE(parse_zap_reply(views.data(), views.size(), parsed));
        CHECK(parsed.routing_id == "id");
        CHECK(parsed.request_id == "7");
        CHECK(parsed.status == status);
        CHECK(parsed.status_text == "text");
        CHECK(parsed.user_id == "USERID");
        CHECK(parsed.metadata == reply.metadata);
    }
}

TEST_CASE("a reply with an unknown status code does not parse", "[zap]") {
    auto frames = encode_zap_reply({"id", "7", zap_status::ok, "OK", "", {}});
    frames[4] = "201";
    std::vector<std::string_view> views(frames.begin(), frames.end());
    zap_reply_t parsed;
    CHECK_FALSE(parse_zap_reply(views.data(), views.size(), parsed));
    CHECK_FALSE(parse_zap_reply(views.data(), views.size() - 1, parsed));
}

// Certificates as text: CZMQ's layout and ZPL's variations read, every malformed file refused
// with its line and a fix.
#include "certificate_samples.hpp"
#include "security/certificate.hpp"

#include <catch2/catch.hpp>

using namespace zd::security;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

const key_pair_t keys = new_key_pair();

// A public key that can be written bare: '#' is a Z85 character but starts a ZPL comment.
std::string bare_writable_key() {
    for (;;) {
        std::string key = new_key_pair().public_key;
        if (key.find('#') == std::string::npos) return key;
    }
}

std::string curve_only(const std::string& public_key) {
    return "curve\n    public-key = \"" + public_key + "\"\n";
}

// The message parse_certificate throws for text, or "" when it reads.
std::string refusal(const std::string& text) {
    try {
        parse_certificate(text, "hub.cert");
    } catch (const certificate_error& error) {
        return error.what();
    }
    return {};
}

} // namespace

TEST_CASE("a secret certificate as CZMQ writes it reads with its keys and name",
          "[security][certificate]") {
    const certificate_t certificate =
        parse_certificate(zd::test::czmq_secret_text(keys), "hub.cert");
    CHECK(certificate.public_key == keys.public_key);
    CHECK(certificate.secret_key == keys.secret_key);
    CHECK(certificate.name() == "hub-a");
    REQUIRE(certificate.metadata.size() == 1);
}

TEST_CASE("a public certificate reads with an empty secret key", "[security][certificate]") {
    const certificate_t certificate =
        parse_certificate(zd::test::czmq_public_text(keys.public_key), "hub.cert");
    CHECK(certificate.public_key == keys.public_key);
    CHECK(certificate.secret_key.empty());
}

TEST_CASE("ZPL's variations read: bare and single-quoted values, comments, CRLF, extra metadata",
          "[security][certificate]") {
    const std::string public_key = bare_writable_key();
    const std::string text = "# a comment\r\n"
                             "\r\n"
                             "metadata\r\n"
                             "    name = hub-b   # a trailing comment\r\n"
                             "    site='paris'\r\n"
                             "    # an indented comment\r\n"
                             "    email = \"ops@example.com\"  \r\n"
                             "    empty\r\n"
                             "other\r\n"
                             "    ignored = yes\r\n"
                             "curve\r\n"
                             "    public-key = " +
                             public_key + "\r\n";
    const certificate_t certificate = parse_certificate(text, "hub.cert");
    CHECK(certificate.public_key == public_key);
    CHECK(certificate.name() == "hub-b");
    using entry = std::pair<std::string, std::string>;
    CHECK(certificate.metadata ==
          std::vector<entry>{
              {"name", "hub-b"}, {"site", "paris"}, {"email", "ops@example.com"}, {"empty", ""}});
}

TEST_CASE("lone CR line ends read as line ends", "[security][certificate]") {
    const std::string text =
        "metadata\r    name = x\rcurve\r    public-key = \"" + keys.public_key + "\"";
    CHECK(parse_certificate(text, "hub.cert").name() == "x");
}

TEST_CASE("a certificate without a name has an empty name()", "[security][certificate]") {
    CHECK(parse_certificate(curve_only(keys.public_key), "hub.cert").name().empty());
}

TEST_CASE("the written text reads back to the same certificate", "[security][certificate]") {
    const certificate_t made = new_certificate({{"name", "hub-c"}, {"site", "a b c"}});
    const certificate_t secret = parse_certificate(secret_certificate_text(made), "s");
    CHECK(secret.public_key == made.public_key);
    CHECK(secret.secret_key == made.secret_key);
    CHECK(secret.metadata == made.metadata);
    const certificate_t public_one = parse_certificate(public_certificate_text(made), "p");
    CHECK(public_one.public_key == made.public_key);
    CHECK(public_one.secret_key.empty());
    CHECK(public_one.metadata == made.metadata);
    CHECK_THAT(public_certificate_text(made), StartsWith("#   ****  Generated on "));
    CHECK_THAT(public_certificate_text(made), Contains("\nmetadata\n    name = \"hub-c\"\n"));
}

TEST_CASE("no public key is refused, naming the file and zd-keygen", "[security][certificate]") {
    CHECK_THAT(refusal("metadata\n    name = x\n"),
               StartsWith("hub.cert: no 'curve' section") && Contains("zd-keygen"));
    CHECK_THAT(refusal("curve\n    secret-key = \"" + keys.secret_key + "\"\n"),
               StartsWith("hub.cert:1: the 'curve' section has no public-key"));
    CHECK_THAT(refusal(""), StartsWith("hub.cert: no 'curve' section"));
}

TEST_CASE("a bad Z85 key is refused with its line and what is wrong", "[security][certificate]") {
    std::string bad = keys.public_key;
    bad[0] = '~';
    CHECK_THAT(refusal("metadata\ncurve\n    public-key = \"" + bad + "\"\n"),
               StartsWith("hub.cert:3: curve/public-key has '~' at position 1"));
    CHECK_THAT(refusal(curve_only(keys.public_key.substr(0, 32))),
               StartsWith("hub.cert:2: curve/public-key is 32 characters long"));
    CHECK_THAT(refusal(curve_only("")), Contains("is 0 characters long"));
    // '#' is a Z85 character but starts a comment in a bare value: CZMQ cuts it there too.
    const std::string bare = bare_writable_key();
    CHECK_THAT(
        refusal("curve\n    public-key = " + bare.substr(0, 20) + "#" + bare.substr(21) + "\n"),
        Contains("is 20 characters long"));
}

TEST_CASE("a secret key that is not the public key's is refused", "[security][certificate]") {
    key_pair_t mixed = keys;
    mixed.secret_key = new_key_pair().secret_key;
    CHECK_THAT(refusal(zd::test::czmq_secret_text(mixed)),
               StartsWith("hub.cert:9: curve/secret-key does not belong to curve/public-key"));
    key_pair_t bad = keys;
    bad.secret_key = bad.secret_key.substr(1);
    CHECK_THAT(refusal(zd::test::czmq_secret_text(bad)),
               StartsWith("hub.cert:9: curve/secret-key is 39 characters long"));
}

TEST_CASE("a key or section given twice is refused rather than guessed",
          "[security][certificate]") {
    const std::string other = new_key_pair().public_key;
    CHECK_THAT(refusal("curve\n    public-key = " + keys.public_key +
                       "\n    public-key = " + other + "\n"),
               StartsWith("hub.cert:3: 'curve/public-key' given twice (also on line 2)"));
    CHECK_THAT(refusal(curve_only(keys.public_key) + curve_only(other)),
               StartsWith("hub.cert:3: a second 'curve' section"));
    CHECK_THAT(refusal("metadata\n    name = a\n    name = b\n" + curve_only(keys.public_key)),
               StartsWith("hub.cert:3: 'metadata/name' given twice"));
}

TEST_CASE("text that is not ZPL is refused with its line", "[security][certificate]") {
    const std::string key = curve_only(keys.public_key);
    CHECK_THAT(refusal("metadata\n  name = x\n" + key),
               StartsWith("hub.cert:2: indented by 2 spaces (indent in steps of 4 spaces)"));
    CHECK_THAT(refusal("metadata\n\tname = x\n" + key), StartsWith("hub.cert:2: a tab"));
    CHECK_THAT(refusal("metadata\n        name = x\n" + key),
               StartsWith("hub.cert:2: indented deeper than the property above it allows"));
    CHECK_THAT(refusal("metadata\n    name = \"x\n" + key),
               StartsWith("hub.cert:2: missing closing \""));
    CHECK_THAT(refusal("metadata\n    name = \"x\" y\n" + key),
               StartsWith("hub.cert:2: unexpected text 'y'"));
    CHECK_THAT(refusal("metadata\n    name: x\n" + key),
               StartsWith("hub.cert:2: unexpected text ': x'"));
    CHECK_THAT(refusal("metadata\n    /name = x\n" + key), Contains("starts or ends with '/'"));
    CHECK_THAT(refusal("{\"curve\": 1}\n"), StartsWith("hub.cert:1: '{\"curve\": 1}' is not"));
    CHECK_THAT(refusal(std::string("curve\0\n", 7)), StartsWith("hub.cert:1: a NUL byte"));
}

TEST_CASE("properties nest at most zpl_max_depth deep", "[security][certificate]") {
    std::string text;
    for (int level = 0; level < 9; ++level)
        text += std::string(std::size_t(4 * level), ' ') + "a\n";
    CHECK_THAT(refusal(text), StartsWith("hub.cert:9: properties nested more than 8 deep"));
}

TEST_CASE("metadata that CZMQ could not read back is refused when making a certificate",
          "[security][certificate]") {
    CHECK(metadata_problem("site", "paris").empty());
    CHECK_THAT(metadata_problem("", "x"), Contains("empty"));
    CHECK_THAT(metadata_problem("a b", "x"), Contains("only letters, digits"));
    CHECK_THAT(metadata_problem("site/", "x"), Contains("'/'"));
    CHECK_THAT(metadata_problem("site", "say \"hi\""), Contains("'\"'"));
    CHECK_THAT(metadata_problem("site", "two\nlines"), Contains("control character"));
    CHECK_THAT(metadata_problem(std::string(256, 'a'), "x"), Contains("255"));
    CHECK_THROWS_AS(new_certificate({{"a b", "x"}}), certificate_error);
    CHECK_THROWS_WITH(new_certificate({{"site", "a"}, {"site", "b"}}),
                      "metadata 'site' given twice");
}

// Z85 CURVE keys: what is accepted, what is refused and how the refusal reads.
#include "security/z85_key.hpp"

#include <catch2/catch.hpp>

using namespace zd::security;

TEST_CASE("a key pair from libzmq is valid Z85 and its public key derives from its secret",
          "[security][z85]") {
    const key_pair_t keys = new_key_pair();
    CHECK(z85_key_problem(keys.public_key).empty());
    CHECK(z85_key_problem(keys.secret_key).empty());
    CHECK(public_key_of(keys.secret_key) == keys.public_key);
    CHECK(new_key_pair().public_key != keys.public_key);
}

TEST_CASE("binary and Z85 keys convert both ways", "[security][z85]") {
    const key_pair_t keys = new_key_pair();
    const auto binary = z85_key_to_binary(keys.public_key);
    REQUIRE(binary);
    CHECK(binary_key_to_z85(*binary) == keys.public_key);
    key_bytes_t zeros{};
    CHECK(binary_key_to_z85(zeros) == std::string(40, '0'));
}

TEST_CASE("a key of the wrong length is refused with both lengths named", "[security][z85]") {
    const std::string key = new_key_pair().public_key;
    CHECK(z85_key_problem(key.substr(0, 39)) == "is 39 characters long; a CURVE key in Z85 has 40");
    CHECK(z85_key_problem(key + "0").find("41 characters") != std::string::npos);
    CHECK(z85_key_problem("").find("0 characters") != std::string::npos);
    CHECK_FALSE(z85_key_to_binary(key.substr(1)));
}

TEST_CASE("a character outside the Z85 alphabet is refused with its position", "[security][z85]") {
    std::string key = new_key_pair().public_key;
    key[5] = '"';
    CHECK(z85_key_problem(key) == "has '\"' at position 6, which is not a Z85 character");
    key[5] = ' ';
    CHECK(z85_key_problem(key).find("byte 0x20 at position 6") != std::string::npos);
    key[5] = '\0';
    CHECK(z85_key_problem(key).find("byte 0x00") != std::string::npos);
    CHECK_FALSE(z85_key_to_binary(key));
    CHECK_FALSE(public_key_of(key));
}

TEST_CASE("a 5-character group above 32 bits is refused", "[security][z85]") {
    // "#####" is 85^5 - 1, more than 2^32 - 1: every character is in the alphabet.
    const std::string key = "#####" + std::string(35, '0');
    CHECK(z85_key_problem(key).find("larger than 32 bits") != std::string::npos);
    CHECK_FALSE(z85_key_to_binary(key));
}

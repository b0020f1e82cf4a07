// Which Majordomo replies zd-call counts as failures (exit 4) and which as success (exit 0).
#include "shell/reply_verdict.hpp"

#include <catch2/catch.hpp>

using zd::shell::judge_reply;
using frames = std::vector<std::string>;

TEST_CASE("an ERROR first frame is a failure, whatever the service", "[tools]") {
    CHECK(judge_reply("echo", {"ERROR sh: exit status 1", "partial output"}).failed);
    CHECK(judge_reply("echo", {"ERROR"}).failed);
    CHECK_THAT(judge_reply("upper", {"ERROR tr: timed out"}).why,
               Catch::Contains("ERROR tr: timed out"));
    CHECK_FALSE(judge_reply("echo", {"ERRORS: none"}).failed);
    CHECK_FALSE(judge_reply("echo", {"hello", "ERROR"}).failed); // only the first frame counts
    CHECK_FALSE(judge_reply("echo", {""}).failed);
    CHECK_FALSE(judge_reply("echo", {}).failed);
}

TEST_CASE("mmi.* and titanic.* answer with a status: only 200 is success", "[tools]") {
    CHECK_FALSE(judge_reply("mmi.service", {"200"}).failed);
    CHECK(judge_reply("mmi.service", {"404"}).failed);
    CHECK(judge_reply("mmi.nope", {"501"}).failed);
    CHECK_FALSE(judge_reply("mmi.services", {"{\"echo\":{\"workers\":1}}"}).failed); // JSON
    CHECK_FALSE(judge_reply("titanic.request", {"200", "0123456789abcdef0123456789abcdef"}).failed);
    CHECK(judge_reply("titanic.reply", {"300"}).failed);
    CHECK(judge_reply("titanic.request", {"400"}).failed);
    CHECK(judge_reply("titanic.reply", {"404"}).failed);
    CHECK(judge_reply("titanic.request", {"500"}).failed);
    CHECK_THAT(judge_reply("titanic.request", {"400"}).why, Catch::Contains("status '400'"));
    CHECK_FALSE(judge_reply("other", {"400"}).failed); // a plain service's body is its own
}

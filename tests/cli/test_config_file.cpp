// The --config file reader (lib/cli/config_file.hpp) on text, without CLI11: what applies to
// which program, and every mistake named by file and line.
#include "cli/config_file.hpp"

#include <catch2/catch.hpp>

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using zd::config::config_error;
using zd::config::read_config;

namespace {

// "key=value" for each entry, in order: the shape tests compare.
std::vector<std::string> pairs(const std::vector<zd::config::entry_t>& entries) {
    std::vector<std::string> out;
    for (const auto& entry : entries)
        out.push_back(entry.key + "=" + entry.value);
    return out;
}

// The message read_config throws for text (empty if it reads).
std::string error_for(std::string_view text, std::string_view program = "zd-queue") {
    try {
        read_config(text, "q.ini", program);
    } catch (const config_error& error) {
        return error.what();
    }
    return {};
}

} // namespace

TEST_CASE("key = value lines, comments and blank lines", "[cli][config]") {
    const auto entries = read_config("# a comment\n"
                                     "; another\n"
                                     "\n"
                                     "  hwm = 7  \n"
                                     "frontend=@tcp://127.0.0.1:5000,@ipc:///tmp/q\r\n"
                                     "command = tr a-z A-Z\n",
                                     "q.ini", "zd-queue");
    CHECK(pairs(entries) == std::vector<std::string>{"hwm=7",
                                                     "frontend=@tcp://127.0.0.1:5000,@ipc:///tmp/q",
                                                     "command=tr a-z A-Z"});
    CHECK(entries[0].line == 4);
    CHECK(entries[1].line == 5);
    CHECK_FALSE(entries[2].quoted);
}

TEST_CASE("quoted values lose their quotes and keep their blanks", "[cli][config]") {
    const auto entries = read_config("a = \"two words\"\nb = ' x '\nc = \"\"\n", "q.ini", "zd-q");
    CHECK(pairs(entries) == std::vector<std::string>{"a=two words", "b= x ", "c="});
    CHECK(entries[0].quoted);
    CHECK_THAT(error_for("a = \"open\n"), Contains("q.ini:1:") && Contains("unterminated"));
}

TEST_CASE("[a, b] lists give their items", "[cli][config]") {
    const auto entries = read_config("sizes = [16, \"4K\", 1M]\n", "q.ini", "zd-bench");
    REQUIRE(entries.size() == 1);
    CHECK(entries[0].is_list);
    CHECK(entries[0].items == std::vector<std::string>{"16", "4K", "1M"});
    // A comma inside quotes belongs to its item (zd-worker's command: sh -c "a,b").
    CHECK(read_config("command = [sh, -c, \"cut -d, -f1\", 'x,y']\n", "q.ini", "zd-worker")[0]
              .items == std::vector<std::string>{"sh", "-c", "cut -d, -f1", "x,y"});
}

TEST_CASE("a line that is not key = value is an error naming file and line", "[cli][config]") {
    CHECK(error_for("hwm = 1\ngarbage\n") ==
          "q.ini:2: expected 'key = value', '[program]' or a comment (# or ;), not 'garbage'");
    CHECK_THAT(error_for("= 5\n"), StartsWith("q.ini:1: no option name"));
    CHECK_THAT(error_for("[zd-queue\n"), StartsWith("q.ini:1: a section is written"));
}

TEST_CASE("a key given twice is an error naming both lines", "[cli][config]") {
    CHECK(error_for("hwm = 1\nlinger = 2\nhwm = 3\n") ==
          "q.ini:3: 'hwm' given twice (also on line 1)");
    CHECK(error_for("[zd-queue]\nhwm = 1\nhwm = 3\n") ==
          "q.ini:3: 'hwm' given twice (also on line 2)");
    // Also in another program's section, which is checked though not used.
    CHECK(error_for("[zd-broker]\nhwm = 1\nhwm = 3\n") ==
          "q.ini:3: 'hwm' given twice (also on line 2)");
}

TEST_CASE("sections: every program's keys, its own, not the others'", "[cli][config]") {
    const std::string text = "hwm = 1\n"
                             "linger = 2\n"
                             "[zd-broker]\n"
                             "endpoint = @tcp://*:5555\n"
                             "hwm = 9\n"
                             "[ zd-queue ]\n"
                             "hwm = 5\n"
                             "frontend = @tcp://*:5559\n";
    CHECK(pairs(read_config(text, "q.ini", "zd-queue")) ==
          std::vector<std::string>{"hwm=5", "linger=2", "frontend=@tcp://*:5559"});
    CHECK(pairs(read_config(text, "q.ini", "zd-broker")) ==
          std::vector<std::string>{"hwm=9", "linger=2", "endpoint=@tcp://*:5555"});
    CHECK(pairs(read_config(text, "q.ini", "zd-streamer")) ==
          std::vector<std::string>{"hwm=1", "linger=2"});
}

TEST_CASE("a section that names no zdevices program is an error", "[cli][config]") {
    CHECK_THAT(error_for("hwm = 1\n[zd-queu]\n"),
               StartsWith("q.ini:2: unknown section '[zd-queu]'") && Contains("zd-queue"));
    // A program's own name is always a section, known to the list or not.
    CHECK(error_for("[zd-test]\nhwm = 1\n", "zd-test").empty());
}

TEST_CASE("split_words splits at blanks and keeps quoted words whole", "[cli][config]") {
    CHECK(zd::config::split_words("tr  a-z\tA-Z") == std::vector<std::string>{"tr", "a-z", "A-Z"});
    CHECK(zd::config::split_words("sh -c 'echo hi'") ==
          std::vector<std::string>{"sh", "-c", "echo hi"});
    CHECK(zd::config::split_words("  ").empty());
}

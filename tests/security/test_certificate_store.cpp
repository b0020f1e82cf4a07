// The allow-list directory: which files count (as CZMQ's zcertstore reads a directory), what
// is refused, and a signature that changes whenever the list could have.
#include "certificate_samples.hpp"
#include "security/certificate_store.hpp"
#include "temp_dir.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

using namespace zd::security;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

std::string add_public(const zd::test::temp_dir_t& dir, const std::string& file,
                       const std::string& name) {
    const std::string key = new_key_pair().public_key;
    dir.write_file(file, zd::test::czmq_public_text(key, name));
    return key;
}

std::vector<std::string> names_of(const std::vector<certificate_t>& certificates) {
    std::vector<std::string> names;
    for (const auto& certificate : certificates)
        names.push_back(certificate.name());
    return names;
}

std::string refusal(const std::string& dir) {
    try {
        load_allowed_certificates(dir);
    } catch (const certificate_error& error) {
        return error.what();
    }
    return {};
}

// Waits until the file system clock has moved on, so a rewrite gets a new mtime.
void next_mtime_tick(const zd::test::temp_dir_t& dir) {
    const auto mtime = [&] {
        struct stat status {};
        dir.write_file(".tick", "x");
        ::stat(dir.file(".tick").c_str(), &status);
        return status.st_mtim.tv_nsec + status.st_mtim.tv_sec * 1'000'000'000LL;
    };
    const auto start = mtime();
    while (mtime() == start)
        ::usleep(1000);
    ::unlink(dir.file(".tick").c_str());
}

} // namespace

TEST_CASE("every public certificate counts, *_secret, hidden and non-regular entries do not",
          "[security][certificate_store]") {
    zd::test::temp_dir_t dir;
    const std::string alice = add_public(dir, "alice", "alice");
    add_public(dir, "bob.cert", "bob");
    dir.write_file("alice_secret", "not even a certificate");
    dir.write_file(".hidden", "not even a certificate");
    REQUIRE(::mkdir(dir.file(".git").c_str(), 0700) == 0);
    dir.write_file(".git/config", "not a certificate");
    REQUIRE(::mkfifo(dir.file("fifo").c_str(), 0600) == 0);
    REQUIRE(::symlink("gone", dir.file("dangling").c_str()) == 0);
    REQUIRE(::symlink("alice", dir.file("alias").c_str()) == 0); // followed, as CZMQ does
    REQUIRE(::mkdir(dir.file("site-b").c_str(), 0700) == 0);     // read, as CZMQ does
    add_public(dir, "site-b/carol", "carol");

    const auto certificates = load_allowed_certificates(dir.path());
    CHECK(names_of(certificates) == std::vector<std::string>{"alice", "alice", "bob", "carol"});
    CHECK(certificates[0].public_key == alice);
    CHECK(std::all_of(certificates.begin(), certificates.end(),
                      [](const certificate_t& c) { return c.secret_key.empty(); }));
}

TEST_CASE("a secret certificate in the directory gives only its public key",
          "[security][certificate_store]") {
    zd::test::temp_dir_t dir;
    const key_pair_t keys = new_key_pair();
    dir.write_file("hub", zd::test::czmq_secret_text(keys));
    const auto certificates = load_allowed_certificates(dir.path());
    REQUIRE(certificates.size() == 1);
    CHECK(certificates[0].public_key == keys.public_key);
    CHECK(certificates[0].secret_key.empty());
}

TEST_CASE("a dangling link, the last entry read, is ignored without failing the listing",
          "[security][certificate_store]") {
    zd::test::temp_dir_t dir;
    REQUIRE(::symlink("gone", dir.file("dangling").c_str()) == 0); // the only entry: the last
    CHECK(load_allowed_certificates(dir.path()).empty());
    CHECK(directory_signature(dir.path()).file_count == 0);
}

TEST_CASE("an empty directory allows nobody", "[security][certificate_store]") {
    zd::test::temp_dir_t dir;
    CHECK(load_allowed_certificates(dir.path()).empty());
}

TEST_CASE("a file that does not parse refuses the whole directory, naming the file",
          "[security][certificate_store]") {
    zd::test::temp_dir_t dir;
    add_public(dir, "alice", "alice");
    dir.write_file("notes.txt", "who: bob\n");
    CHECK_THAT(refusal(dir.path()), StartsWith(dir.file("notes.txt") + ":1: "));
}

TEST_CASE("a missing or non-directory DIR is refused", "[security][certificate_store]") {
    zd::test::temp_dir_t dir;
    CHECK_THAT(refusal(dir.file("none")),
               StartsWith(dir.file("none") + ": cannot read the certificate directory"));
    const std::string file = dir.write_file("file", "x");
    CHECK_THAT(refusal(file), Contains("not a directory"));
    CHECK_THROWS_AS(directory_signature(dir.file("none")), certificate_error);
}

TEST_CASE("a directory or certificate anyone may write is refused with the fix",
          "[security][certificate_store]") {
    zd::test::temp_dir_t dir;
    add_public(dir, "alice", "alice");
    REQUIRE(::chmod(dir.file("alice").c_str(), 0646) == 0);
    CHECK_THAT(refusal(dir.path()), Contains("chmod o-w " + dir.file("alice")));
    REQUIRE(::chmod(dir.file("alice").c_str(), 0644) == 0);
    REQUIRE(::chmod(dir.path().c_str(), 0777) == 0);
    CHECK_THAT(refusal(dir.path()), Contains("chmod o-w " + dir.path()));
    REQUIRE(::chmod(dir.path().c_str(), 0700) == 0);
    CHECK(load_allowed_certificates(dir.path()).size() == 1);
}

TEST_CASE("the signature changes when a certificate is added, removed, renamed or rewritten",
          "[security][certificate_store]") {
    zd::test::temp_dir_t dir;
    add_public(dir, "alice", "alice");
    auto before = directory_signature(dir.path());
    CHECK(before.file_count == 1);
    CHECK(directory_signature(dir.path()) == before); // nothing changed

    next_mtime_tick(dir);
    before = directory_signature(dir.path());
    add_public(dir, "bob", "bob");
    auto after = directory_signature(dir.path());
    CHECK(after != before);
    CHECK(after.file_count == 2);

    next_mtime_tick(dir);
    before = directory_signature(dir.path());
    REQUIRE(::rename(dir.file("bob").c_str(), dir.file("robert").c_str()) == 0);
    CHECK(directory_signature(dir.path()) != before);

    next_mtime_tick(dir);
    before = directory_signature(dir.path());
    add_public(dir, "robert", "bob"); // same size, new key, written in place
    CHECK(directory_signature(dir.path()) != before);

    next_mtime_tick(dir);
    before = directory_signature(dir.path());
    REQUIRE(::unlink(dir.file("robert").c_str()) == 0);
    after = directory_signature(dir.path());
    CHECK(after != before);
    CHECK(after.file_count == 1);
}

TEST_CASE("the signature ignores what the allow-list ignores", "[security][certificate_store]") {
    zd::test::temp_dir_t dir;
    add_public(dir, "alice", "alice");
    const auto before = directory_signature(dir.path());
    CHECK(before.total_size > 0);
    dir.write_file("alice_secret", "x");
    const auto after = directory_signature(dir.path());
    CHECK(after.file_count == before.file_count);
    CHECK(after.total_size == before.total_size);
}

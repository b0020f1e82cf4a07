// Certificate files: written as CZMQ writes them, the secret never in a file others may read,
// and every file a device would refuse refused with the file's name and the fix.
#include "certificate_samples.hpp"
#include "security/certificate.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>
#include <sys/stat.h>
#include <unistd.h>

using namespace zd::security;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

mode_t mode_of(const std::string& path) {
    struct stat status {};
    REQUIRE(::stat(path.c_str(), &status) == 0);
    return status.st_mode & 07777;
}

std::string write_secret(const zd::test::temp_dir_t& dir, const key_pair_t& keys, mode_t mode) {
    const std::string path = dir.write_file("hub_secret", zd::test::czmq_secret_text(keys));
    REQUIRE(::chmod(path.c_str(), mode) == 0);
    return path;
}

template <typename Read>
std::string refusal(Read read) {
    try {
        read();
    } catch (const certificate_error& error) {
        return error.what();
    }
    return {};
}

} // namespace

TEST_CASE("written files read back: the public one without, the secret one with the secret key",
          "[security][certificate_file]") {
    zd::test::temp_dir_t dir;
    const certificate_t made = new_certificate({{"name", "hub-a"}, {"site", "paris"}});
    write_certificate_files(dir.file("hub"), made);
    const certificate_t public_one = read_certificate_file(dir.file("hub"));
    CHECK(public_one.public_key == made.public_key);
    CHECK(public_one.secret_key.empty());
    CHECK(public_one.metadata == made.metadata);
    const certificate_t secret = read_secret_certificate(dir.file("hub_secret"));
    CHECK(secret.secret_key == made.secret_key);
    CHECK(secret.name() == "hub-a");
}

TEST_CASE("the secret file is mode 0600 and the public one 0644, whatever the umask",
          "[security][certificate_file]") {
    zd::test::temp_dir_t dir;
    const mode_t old_mask = ::umask(0);
    write_certificate_files(dir.file("hub"), new_certificate({}));
    ::umask(old_mask);
    CHECK(mode_of(dir.file("hub_secret")) == 0600);
    CHECK(mode_of(dir.file("hub")) == 0644);
}

TEST_CASE("existing files are kept unless overwrite is asked, and then both are replaced",
          "[security][certificate_file]") {
    zd::test::temp_dir_t dir;
    const certificate_t first = new_certificate({});
    write_certificate_files(dir.file("hub"), first);
    CHECK_THAT(refusal([&] { write_certificate_files(dir.file("hub"), new_certificate({})); }),
               Contains("hub: exists (use --force to replace it)"));
    CHECK(read_certificate_file(dir.file("hub")).public_key == first.public_key);

    ::unlink(dir.file("hub").c_str()); // only the secret is left: still refused, nothing written
    CHECK_THAT(refusal([&] { write_certificate_files(dir.file("hub"), new_certificate({})); }),
               Contains("hub_secret: exists"));
    CHECK(::access(dir.file("hub").c_str(), F_OK) != 0);

    // A secret left with a wide mode is replaced by a new file, not rewritten in place.
    REQUIRE(::chmod(dir.file("hub_secret").c_str(), 0644) == 0);
    const certificate_t second = new_certificate({});
    write_certificate_files(dir.file("hub"), second, true);
    CHECK(read_secret_certificate(dir.file("hub_secret")).secret_key == second.secret_key);
    CHECK(read_certificate_file(dir.file("hub")).public_key == second.public_key);
    CHECK(mode_of(dir.file("hub_secret")) == 0600);
}

TEST_CASE("no temporary file is left behind", "[security][certificate_file]") {
    zd::test::temp_dir_t dir;
    write_certificate_files(dir.file("hub"), new_certificate({}));
    CHECK_THROWS(write_certificate_files(dir.file("hub"), new_certificate({})));
    write_certificate_files(dir.file("hub"), new_certificate({}), true);
    CHECK(system(("test $(ls -A " + dir.path() + " | wc -l) -eq 2").c_str()) == 0);
}

TEST_CASE("a secret file group or others may read or write is refused with chmod 600",
          "[security][certificate_file]") {
    zd::test::temp_dir_t dir;
    const key_pair_t keys = new_key_pair();
    for (const mode_t mode : {0640, 0604, 0644, 0620, 0602, 0610}) {
        INFO("mode " << std::oct << mode);
        const std::string path = write_secret(dir, keys, mode);
        CHECK_THAT(refusal([&] { read_secret_certificate(path); }),
                   StartsWith(path + ": the secret certificate has mode 0") &&
                       Contains("run: chmod 600 " + path));
        CHECK(read_certificate_file(path).public_key == keys.public_key); // as a public one
    }
    for (const mode_t mode : {0600, 0400}) {
        const std::string path = write_secret(dir, keys, mode);
        CHECK(read_secret_certificate(path).secret_key == keys.secret_key);
    }
}

TEST_CASE("a public certificate given as one's own is refused", "[security][certificate_file]") {
    zd::test::temp_dir_t dir;
    const std::string path =
        dir.write_file("hub", zd::test::czmq_public_text(new_key_pair().public_key));
    REQUIRE(::chmod(path.c_str(), 0600) == 0);
    CHECK_THAT(refusal([&] { read_secret_certificate(path); }),
               StartsWith(path + ": no curve/secret-key") && Contains("NAME_secret"));
}

TEST_CASE("a missing, non-regular, oversized or malformed file is refused by name",
          "[security][certificate_file]") {
    zd::test::temp_dir_t dir;
    CHECK_THAT(refusal([&] { read_certificate_file(dir.file("none")); }),
               StartsWith(dir.file("none") + ": cannot open the certificate: No such file") &&
                   Contains("zd-keygen"));
    CHECK_THAT(refusal([&] { read_secret_certificate(dir.file("none")); }),
               Contains("No such file"));
    CHECK_THAT(refusal([&] { read_certificate_file(dir.path()); }), Contains("not a regular file"));
    REQUIRE(::mkfifo(dir.file("fifo").c_str(), 0600) == 0);
    CHECK_THAT(refusal([&] { read_certificate_file(dir.file("fifo")); }),
               Contains("not a regular file"));
    const std::string big = dir.write_file("big", std::string(max_certificate_file_size + 1, '#'));
    CHECK_THAT(refusal([&] { read_certificate_file(big); }), Contains("more than a certificate"));
    const std::string bad = dir.write_file("bad", "curve\n    public-key = \"short\"\n");
    CHECK_THAT(refusal([&] { read_certificate_file(bad); }),
               StartsWith(bad + ":2: curve/public-key is 5 characters long"));
}

TEST_CASE("an unreadable secret file is refused with the reason", "[security][certificate_file]") {
    if (::geteuid() == 0)
        SUCCEED("root reads any file: nothing to check");
    else {
        zd::test::temp_dir_t dir;
        const std::string path = write_secret(dir, new_key_pair(), 0200);
        CHECK_THAT(refusal([&] { read_secret_certificate(path); }), Contains("Permission denied"));
    }
}

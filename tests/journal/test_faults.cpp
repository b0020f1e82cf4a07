// Faults the journal must survive without acknowledging what it did not store:
// - fdatasync failing with EIO (strace fault injection): the commit fails, the log stops,
//   only what an earlier sync covered is reported durable, recovery finds a sound log;
// - write failing with EIO (injection): the same, the batch is never acknowledged;
// - write failing with ENOSPC (injection): the commit reports disk_full, the batch stays
//   pending and goes out whole when writes work again;
// - a real full disk (a 1 MiB tmpfs): the partial batch is cut, nothing is lost, and commits
//   resume once space is freed.
// The strace cases skip (with a warning) when strace is missing; the tmpfs case when mount
// is not permitted.
#include "journal/log.hpp"

#include "child_process.hpp"
#include "journal/segment.hpp"
#include "journal_test_util.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <sstream>
#include <sys/mount.h>
#include <unistd.h>

using namespace zd::journal;
using namespace zd::journal::test;
using zd::test::run_to_completion;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

const std::string tool = ZD_JOURNAL_TOOL;

bool have_strace() {
    return ::access("/usr/bin/strace", X_OK) == 0;
}

// `zd-journal-tool bench-log DIR --records 100 --group 10 --keep` under strace, with the
// when-th call of syscall (on path only, if given) failing with error. LeakSanitizer cannot
// run under ptrace, so the traced tool runs without it.
zd::test::run_result_t bench_log_with_fault(const std::string& dir, const std::string& syscall,
                                            const std::string& error, int when,
                                            const std::string& path = {}) {
    std::vector<std::string> args{"-E", "ASAN_OPTIONS=detect_leaks=0", "-f", "-o", "/dev/null"};
    if (!path.empty()) args.insert(args.end(), {"-P", path});
    args.insert(args.end(),
                {"-e", "trace=" + syscall, "-e",
                 "inject=" + syscall + ":error=" + error + ":when=" + std::to_string(when), tool,
                 "bench-log", dir, "--records", "100", "--group", "10", "--keep"});
    return run_to_completion("/usr/bin/strace", args, 20s);
}

} // namespace

TEST_CASE("faults: fdatasync EIO stops the log, nothing unsynced is called durable",
          "[journal][faults]") {
    if (!have_strace()) {
        WARN("strace not installed: skipped");
        return;
    }
    zd::test::temp_dir_t dir;
    const auto result = bench_log_with_fault(dir.path(), "fdatasync", "EIO", 3);
    INFO(result.err);
    CHECK(result.exit_code == 1);
    CHECK(result.err.find("commit failed (Input/output error): 20 records are durable") !=
          std::string::npos);
    // Recovery decides what survived: at least the 20 synced records, in order, sound.
    log_t log(options_for(dir.path()));
    CHECK(log.next_offset() >= 20);
    CHECK(log.next_offset() <= 30);
    CHECK(read_all(log).size() == log.next_offset());
}

TEST_CASE("faults: write ENOSPC keeps the batch pending, the retry stores it whole",
          "[journal][faults]") {
    if (!have_strace()) {
        WARN("strace not installed: skipped");
        return;
    }
    zd::test::temp_dir_t dir;
    const auto segment = dir.file(segment_file_name(0));
    const auto result = bench_log_with_fault(dir.path(), "write", "ENOSPC", 3, segment);
    INFO(result.err);
    CHECK(result.exit_code == 0);
    CHECK(result.err.find("disk full (No space left on device)") != std::string::npos);
    CHECK(result.out.find("durable=100") != std::string::npos);
    log_t log(options_for(dir.path()));
    CHECK(log.recovery().torn_bytes_cut == 0);
    CHECK(log.next_offset() == 100);
    CHECK(read_all(log).size() == 100);
}

TEST_CASE("faults: write EIO stops the log without acknowledging the batch", "[journal][faults]") {
    if (!have_strace()) {
        WARN("strace not installed: skipped");
        return;
    }
    zd::test::temp_dir_t dir;
    const auto segment = dir.file(segment_file_name(0));
    const auto result = bench_log_with_fault(dir.path(), "write", "EIO", 4, segment);
    INFO(result.err);
    CHECK(result.exit_code == 1);
    CHECK(result.err.find("commit failed (Input/output error): 30 records are durable") !=
          std::string::npos);
    log_t log(options_for(dir.path()));
    CHECK(log.next_offset() == 30);
    CHECK(read_all(log).size() == 30);
}

TEST_CASE("durability order: a new segment and its directory entry are synced before the "
          "first batch in it, every batch is synced before the next",
          "[journal][faults]") {
    if (!have_strace()) {
        WARN("strace not installed: skipped");
        return;
    }
    zd::test::temp_dir_t dir;
    const auto journal = dir.file("journal");
    const auto trace = dir.file("trace");
    const auto result =
        run_to_completion("/usr/bin/strace", {"-E",    "ASAN_OPTIONS=detect_leaks=0",
                                              "-f",    "-y",
                                              "-o",    trace,
                                              "-e",    "trace=openat,fsync,fdatasync,write",
                                              tool,    "bench-log",
                                              journal, "--records",
                                              "12",    "--group",
                                              "4",     "--size",
                                              "1000",  "--segment-bytes",
                                              "4096",  "--keep"},
                          20s);
    REQUIRE(result.exit_code == 0);
    // Reduce the trace to events: create SEG, sync-dir, write SEG, sync SEG.
    std::vector<std::string> events;
    std::istringstream lines(read_file(trace));
    for (std::string line; std::getline(lines, line);) {
        const auto seg = line.find(".seg");
        const auto name = [&] {
            return line.substr(line.rfind('/', seg) + 1, seg + 4 - line.rfind('/', seg) - 1);
        };
        if (line.find("openat(") != std::string::npos &&
            line.find("O_CREAT") != std::string::npos && seg != std::string::npos &&
            line.find("= -1") == std::string::npos)
            events.push_back("create " + name());
        else if (line.find(" fsync(") != std::string::npos &&
                 line.find("<" + journal + ">") != std::string::npos)
            events.push_back("sync-dir");
        else if (line.find(" write(") != std::string::npos && seg != std::string::npos)
            events.push_back("write " + name());
        else if (line.find(" fdatasync(") != std::string::npos && seg != std::string::npos)
            events.push_back("sync " + name());
    }
    const std::vector<std::string> expected{
        "create 00000000000000000000.seg", "sync-dir",
        "write 00000000000000000000.seg",  "sync 00000000000000000000.seg",
        "create 00000000000000000004.seg", "sync-dir",
        "write 00000000000000000004.seg",  "sync 00000000000000000004.seg",
        "create 00000000000000000008.seg", "sync-dir",
        "write 00000000000000000008.seg",  "sync 00000000000000000008.seg"};
    CHECK(events == expected);
}

namespace {

// A small tmpfs mounted for one test, unmounted (lazily, whatever holds it) at the end.
struct tmpfs_mount_t {
    std::string path;
    bool mounted = false;
    explicit tmpfs_mount_t(std::string where) : path(std::move(where)) {
        fs::create_directories(path);
        mounted = ::mount("tmpfs", path.c_str(), "tmpfs", 0, "size=1m") == 0;
    }
    ~tmpfs_mount_t() {
        if (mounted) ::umount2(path.c_str(), MNT_DETACH);
    }
};

} // namespace

TEST_CASE("faults: a really full disk cuts the partial batch and resumes when space is freed",
          "[journal][faults]") {
    // Big segments: the batch is one write. Small ones: batches are split across segments,
    // and the disk fills part way through a batch.
    const std::uint64_t segment_bytes = GENERATE(64ull << 20, 40ull << 10);
    INFO("segment bytes " << segment_bytes);
    zd::test::temp_dir_t dir;
    tmpfs_mount_t disk(dir.file("small"));
    if (!disk.mounted) {
        WARN("cannot mount a tmpfs here (not root?): skipped");
        return;
    }
    const std::string journal = disk.path + "/journal";
    // Something to free later.
    write_file(disk.path + "/filler", std::string(256 * 1024, 'f'));
    auto options = options_for(journal);
    options.segment_bytes = segment_bytes;
    log_t log(options);
    const std::string body(16 * 1024, 'x');
    const std::string_view frame = body;
    std::uint64_t appended = 0;
    commit_result_t result;
    for (int batch = 0; batch < 200; ++batch) {
        for (int i = 0; i < 4; ++i, ++appended)
            REQUIRE(log.append({}, 0, std::span<const std::string_view>(&frame, 1)));
        result = log.commit();
        if (result.status != io_status::ok) break;
    }
    REQUIRE(result.status == io_status::disk_full);
    CHECK(result.error == ENOSPC);
    const std::uint64_t durable = log.durable_next();
    CHECK(result.durable_next == durable);
    CHECK(durable < appended);
    CHECK(log.pending_records() == appended - durable);
    // The partial write was cut: the files hold exactly the committed records.
    std::uint64_t on_disk = 0;
    for (const auto& segment : list_segment_files(journal))
        on_disk += fs::file_size(segment.path);
    CHECK(on_disk == log.size_bytes());
    CHECK(read_all(log).size() == durable);
    // Still full: the same answer, nothing lost.
    CHECK(log.commit().status == io_status::disk_full);
    fs::remove(disk.path + "/filler");
    result = log.commit();
    REQUIRE(result.status == io_status::ok);
    CHECK(result.durable_next == appended);
    CHECK(log.pending_records() == 0);
    const auto records = read_all(log);
    REQUIRE(records.size() == appended);
    for (std::uint64_t i = 0; i < appended; ++i)
        REQUIRE(records[i].rfind(std::to_string(i) + ":", 0) == 0);
}

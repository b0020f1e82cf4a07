// bench-raw and bench-log: the same records written straight to a file (write() per record,
// fdatasync every --group) and through the journal log (append --group records, one commit),
// so the benchmark reports the log's rate beside the disk's in one run. Each prints one line
// of key=value pairs for scripts.
#include "base/log.hpp"
#include "journal/log.hpp"
#include "journal/segment.hpp"
#include "tool.hpp"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <thread>
#include <unistd.h>

namespace zd::journal_tool {
namespace {

using steady = std::chrono::steady_clock;

const char* policy_name(journal::fsync_policy policy) {
    switch (policy) {
    case journal::fsync_policy::always:
        return "always";
    case journal::fsync_policy::batch:
        return "batch";
    case journal::fsync_policy::interval:
        return "interval";
    case journal::fsync_policy::never:
        return "never";
    }
    return "?";
}

void report(const char* name, const bench_options_t& options, double seconds,
            const std::string& extra) {
    const double rate = seconds > 0 ? double(options.records) / seconds : 0;
    std::printf("%s records=%llu size=%zu group=%llu%s seconds=%.3f rate=%.0f mb_per_s=%.1f\n",
                name, static_cast<unsigned long long>(options.records), options.size,
                static_cast<unsigned long long>(options.group), extra.c_str(), seconds, rate,
                rate * double(options.size) / 1e6);
    std::fflush(stdout);
}

} // namespace

int bench_raw(const bench_options_t& options) {
    std::filesystem::create_directories(options.dir);
    const auto path = std::filesystem::path(options.dir) / "bench-raw.dat";
    const journal::file_t fd = journal::file_t::open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND);
    const std::string record(options.size, 'r');
    const auto start = steady::now();
    for (std::uint64_t i = 1; i <= options.records; ++i) {
        if (const int error = journal::write_all(fd.get(), record.data(), record.size()))
            throw std::system_error(error, std::generic_category(), "write " + path.string());
        if (options.group && (i % options.group == 0 || i == options.records))
            if (::fdatasync(fd.get()) != 0)
                throw std::system_error(errno, std::generic_category(),
                                        "fdatasync " + path.string());
    }
    const double seconds = std::chrono::duration<double>(steady::now() - start).count();
    if (!options.keep) std::filesystem::remove(path);
    report("bench-raw", options, seconds, "");
    return 0;
}

int bench_log(const bench_options_t& options) {
    journal::log_options_t log_options;
    log_options.dir = options.dir;
    log_options.policy = options.policy;
    log_options.segment_bytes = options.segment_bytes;
    auto log_holder = std::make_unique<journal::log_t>(log_options);
    journal::log_t& log = *log_holder;
    const std::uint64_t first = log.next_offset();
    const bool fresh = log.recovery().records == 0 && log.recovery().segments == 1;
    const std::string payload(options.size, 'l');
    const std::string_view frame = payload;
    const std::uint64_t group = options.group ? options.group : options.records;
    bool told_full = false;
    const auto start = steady::now();
    for (std::uint64_t done = 0; done < options.records;) {
        const std::uint64_t batch = std::min(group, options.records - done);
        for (std::uint64_t i = 0; i < batch; ++i)
            if (!log.append({}, 0, std::span<const std::string_view>(&frame, 1)))
                throw std::runtime_error("record refused (above the maximum size)");
        // A full disk keeps the batch pending: wait for space, then commit it again.
        const auto give_up = steady::now() + std::chrono::milliseconds(options.retry_ms);
        for (;;) {
            const auto result = log.commit();
            if (result.status == journal::io_status::ok) break;
            if (result.status == journal::io_status::failed) {
                zd::log::error("commit failed (" + std::string(std::strerror(result.error)) +
                               "): " + std::to_string(result.durable_next - first) +
                               " records are durable; restart to recover");
                return 1;
            }
            if (!told_full) {
                zd::log::info("disk full (" + std::string(std::strerror(result.error)) +
                              "), waiting for space");
                told_full = true;
            }
            if (steady::now() >= give_up) {
                zd::log::error("still no space after " + std::to_string(options.retry_ms) +
                               " ms: " + std::to_string(result.durable_next - first) +
                               " records are durable");
                return 1;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        done += batch;
    }
    const double seconds = std::chrono::duration<double>(steady::now() - start).count();
    if (told_full) zd::log::info("space is back, all records committed");
    report("bench-log", options, seconds,
           std::string(" policy=") + policy_name(options.policy) +
               " durable=" + std::to_string(log.durable_next() - first));
    log_holder.reset();
    if (fresh && !options.keep) { // only what this run created
        for (const auto& segment : journal::list_segment_files(options.dir))
            std::filesystem::remove(segment.path);
        std::filesystem::remove(std::filesystem::path(options.dir) / "LOCK");
    }
    return 0;
}

} // namespace zd::journal_tool

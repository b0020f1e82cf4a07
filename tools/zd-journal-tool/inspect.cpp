// dump, verify and tail: read a journal directory without taking its lock (the device may be
// running), through the same scan recovery uses, so what verify calls damage is exactly what
// the device would refuse at start.
#include "base/json_writer.hpp"

#include "base/log.hpp"
#include "base/stop_signal.hpp"
#include "journal/consumer_offsets.hpp"
#include "journal/recovery.hpp"
#include "journal/segment.hpp"
#include "print.hpp"
#include "tool.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <filesystem>
#include <iostream>
#include <poll.h>
#include <stdexcept>
#include <unistd.h>

namespace zd::journal_tool {
namespace {

using namespace zd::journal;

void print_record(const record_view_t& record, format_t format) {
    std::string out;
    const auto& meta = record.meta;
    if (is_quarantine_marker(record)) { // an offset whose record --repair took out of service
        if (format == format_t::json) {
            zd::json_writer_t json;
            json.begin_object().key("offset").value(meta.offset).key("quarantined").value(true);
            out = json.end_object().str() + "\n";
        } else {
            out = std::to_string(meta.offset) + " quarantined (damaged; see DIR/quarantine/)\n";
        }
    } else if (format == format_t::json) {
        zd::json_writer_t json;
        json.begin_object()
            .key("offset")
            .value(meta.offset)
            .key("timestamp_ns")
            .value(meta.timestamp_ns)
            .key("time")
            .value(iso_time(meta.timestamp_ns))
            .key("producer")
            .value(meta.producer_id)
            .key("seq")
            .value(meta.producer_seq)
            .key("identity"); // who the journal's frontend authenticated, or null
        if (meta.identity.empty()) {
            json.null();
        } else {
            json.begin_object().key("user_id").value(meta.identity.user_id).key("name");
            if (meta.identity.name.empty())
                json.null();
            else
                json.value(meta.identity.name);
            json.end_object();
        }
        json.key("bytes").value(std::uint64_t(record.encoded_size)).key("frames").begin_array();
        for (auto frame : record.frames)
            json.value(frame);
        json.end_array().end_object();
        out = json.str() + "\n";
    } else {
        out = std::to_string(meta.offset) + " " + iso_time(meta.timestamp_ns) +
              " producer=" + escaped(meta.producer_id) +
              " seq=" + std::to_string(meta.producer_seq);
        if (!meta.identity.empty()) { // only records an authenticating frontend stored
            out += " identity=" + escaped(meta.identity.user_id);
            if (!meta.identity.name.empty()) out += " name=" + escaped(meta.identity.name);
        }
        out += " frames=" + std::to_string(record.frames.size()) +
               " bytes=" + std::to_string(record.encoded_size) + "\n";
        for (std::size_t i = 0; i < record.frames.size(); ++i) {
            out +=
                "  [" + std::to_string(i) + "] " + std::to_string(record.frames[i].size()) + " B";
            if (format == format_t::text) {
                out += ' ';
                out += escaped(record.frames[i]);
                out += '\n';
            } else {
                out += "\n";
                hexdump(out, record.frames[i]);
            }
        }
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
}

// Throws, saying why, unless dir is a journal directory: a directory with segment files (a
// journal creates its first segment when it first starts). Verifying anything else must not
// pass for "ok".
void require_journal_directory(const std::filesystem::path& dir) {
    std::error_code error;
    const auto status = std::filesystem::status(dir, error);
    if (!std::filesystem::exists(status))
        throw std::runtime_error(dir.string() + " does not exist");
    if (!std::filesystem::is_directory(status))
        throw std::runtime_error(dir.string() + " is not a directory");
    if (list_segment_files(dir).empty())
        throw std::runtime_error(dir.string() + " is not a journal directory: no segment files "
                                                "(NNNNNNNNNNNNNNNNNNNN.seg)");
}

} // namespace

int dump(const inspect_options_t& options) {
    require_journal_directory(options.dir);
    std::uint64_t printed = 0;
    const auto scan = scan_directory(options.dir, options.max_body,
                                     [&](std::size_t, const record_view_t& record, std::uint64_t) {
                                         if (record.meta.offset < options.from) return;
                                         if (options.count && printed >= *options.count) return;
                                         print_record(record, options.format);
                                         ++printed;
                                     });
    std::fflush(stdout);
    if (scan.problem.kind == problem_kind::corruption) {
        zd::log::error("damage: " + scan.problem.what);
        return 1;
    }
    if (scan.problem.kind == problem_kind::torn_tail)
        zd::log::info("torn tail (recovery cuts it): " + scan.problem.what);
    return 0;
}

int verify(const inspect_options_t& options) {
    require_journal_directory(options.dir);
    const auto scan = scan_directory(options.dir, options.max_body);
    bool damaged = false;
    std::cout << "journal " << options.dir << "\n";
    for (const auto& segment : scan.segments) {
        std::cout << "  " << segment.file.path.filename().string() << ": " << segment.records
                  << " records, offsets " << segment.file.first_offset << ".."
                  << segment.next_offset << ", " << segment.valid_bytes << " of "
                  << segment.file_size << " bytes sound";
        if (segment.records)
            std::cout << ", " << iso_time(segment.first_timestamp_ns) << " .. "
                      << iso_time(segment.last_timestamp_ns);
        std::cout << "\n";
    }
    std::cout << "records: " << scan.records << "\n";
    switch (scan.problem.kind) {
    case problem_kind::none:
        std::cout << "records: all sound\n";
        break;
    case problem_kind::torn_tail:
        std::cout << "torn tail (not damage: recovery cuts it at start): " << scan.problem.what
                  << "\n";
        break;
    case problem_kind::corruption:
        std::cout << "DAMAGE: " << scan.problem.what << "\n";
        damaged = true;
        break;
    }
    try {
        const auto consumers = load_consumer_offsets(options.dir);
        std::cout << "consumers: " << consumers.size() << "\n";
        for (const auto& [name, offset] : consumers)
            std::cout << "  " << escaped(name) << " next offset " << offset << "\n";
    } catch (const std::exception& error) {
        std::cout << "DAMAGE: " << error.what() << "\n";
        damaged = true;
    }
    std::cout << (damaged ? "verify: DAMAGED\n" : "verify: ok\n");
    return damaged ? 1 : 0;
}

int tail(const inspect_options_t& options) {
    zd::stop_signal_t stop;
    // Where to start: the whole directory is scanned once (sound records only).
    const auto scan = scan_directory(options.dir, options.max_body);
    if (scan.problem.kind == problem_kind::corruption) {
        zd::log::error("damage: " + scan.problem.what);
        return 1;
    }
    std::uint64_t next = options.from;
    if (scan.segments.empty()) {
        next = options.from_end ? 0 : options.from;
    } else {
        const std::uint64_t first = scan.segments.front().file.first_offset;
        const std::uint64_t end = scan.segments.back().next_offset;
        next = options.from_end ? end : std::clamp(options.from, first, end);
    }
    std::uint64_t printed = 0;
    std::filesystem::path file;
    file_t fd;
    std::uint64_t position = 0; // in file, where record `next` starts
    std::vector<char> buffer;
    record_view_t record;
    auto stalled_since = std::chrono::steady_clock::time_point{};
    while (!stop.received() && !(options.count && printed >= *options.count)) {
        // Switch to the segment holding `next` when it appears (start, or a roll).
        if (!fd ||
            std::filesystem::exists(std::filesystem::path(options.dir) / segment_file_name(next))) {
            const auto files = list_segment_files(options.dir);
            const segment_file_t* holder = nullptr;
            for (const auto& candidate : files)
                if (candidate.first_offset <= next) holder = &candidate;
            if (holder && holder->path != file) {
                file = holder->path;
                fd = file_t::open(file, O_RDONLY);
                position = 0;
                // Skip records before `next` in this file.
                std::uint64_t offset = holder->first_offset;
                while (offset < next) {
                    char header[record_header_size];
                    if (::pread(fd.get(), header, sizeof header, off_t(position)) !=
                        ssize_t(sizeof header))
                        break;
                    std::uint32_t body;
                    std::memcpy(&body, header + 8, 4);
                    position += record_header_size + body;
                    ++offset;
                }
            }
        }
        bool progress = false;
        if (fd) {
            // Read what the file holds past position and print every whole record.
            if (buffer.size() < (1u << 20)) buffer.resize(1 << 20);
            const ssize_t got = ::pread(fd.get(), buffer.data(), buffer.size(), off_t(position));
            std::size_t used = 0;
            while (got > 0 && used < std::size_t(got)) {
                const auto status = decode_record_into(
                    std::span<const char>(buffer.data() + used, std::size_t(got) - used), record,
                    options.max_body);
                if (status == decode_status::truncated && used == 0 &&
                    std::size_t(got) == buffer.size()) {
                    // A record bigger than the buffer: grow it to the record's length.
                    std::uint32_t body;
                    std::memcpy(&body, buffer.data() + 8, 4);
                    if (body <= options.max_body) {
                        buffer.resize(record_header_size + body);
                        progress = true;
                    }
                    break;
                }
                if (status != decode_status::ok) {
                    if (status != decode_status::truncated) {
                        // A write in progress can look like this for a moment; damage lasts.
                        const auto now = std::chrono::steady_clock::now();
                        if (stalled_since == decltype(stalled_since){}) stalled_since = now;
                        if (now - stalled_since > std::chrono::seconds(3)) {
                            zd::log::error("damage in " + file.string() + " at byte " +
                                           std::to_string(position + used) + ": " +
                                           describe(status));
                            return 1;
                        }
                    }
                    break;
                }
                stalled_since = {};
                if (record.meta.offset == next) {
                    print_record(record, options.format);
                    ++printed;
                    ++next;
                }
                used += record.encoded_size;
                progress = true;
                if (options.count && printed >= *options.count) break;
            }
            position += used;
            std::fflush(stdout);
        }
        if (!progress) {
            pollfd item{stop.fd(), POLLIN, 0};
            ::poll(&item, 1, 100);
        }
    }
    return 0;
}

} // namespace zd::journal_tool

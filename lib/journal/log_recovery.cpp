// The log's recovery at start (see log_recovery.hpp). The scan itself only reads; every
// change to the directory happens here: a torn tail is cut, and with repair a damaged segment
// is salvaged in place (its sound records kept at their offsets, the bad bytes and the
// original file moved to DIR/quarantine/<time>/ with a report). Only damage that cannot be
// bounded (a gap or overlap between segments) still quarantines the segment and every later
// one, as the first version of repair did for all damage.
#include "journal/log_recovery.hpp"

#include "journal/recovery.hpp"
#include "journal/segment_salvage.hpp"

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <fcntl.h>
#include <fstream>
#include <iterator>
#include <optional>
#include <system_error>
#include <unistd.h>

namespace zd::journal {
namespace {

namespace fs = std::filesystem;

// What the scan rebuilds besides the segments (the dedup table is filled as it goes).
struct rebuilt_t {
    std::vector<offset_index_t> indexes; // per scanned segment
    std::int64_t last_timestamp_ns = 0;
    std::uint64_t markers = 0; // quarantine markers: offsets without a record
};

directory_scan_t scan_and_rebuild(const fs::path& dir, producer_table_t& producers,
                                  rebuilt_t& rebuilt) {
    return scan_directory(
        dir, max_record_body,
        [&](std::size_t segment, const record_view_t& record, std::uint64_t position) {
            if (rebuilt.indexes.size() <= segment) rebuilt.indexes.resize(segment + 1);
            rebuilt.indexes[segment].note({record.meta.offset, position, record.meta.timestamp_ns});
            if (is_quarantine_marker(record))
                ++rebuilt.markers;
            else if (!record.meta.producer_id.empty())
                producers.touch(record.meta.producer_id, record.meta.producer_seq);
            rebuilt.last_timestamp_ns =
                std::max(rebuilt.last_timestamp_ns, record.meta.timestamp_ns);
        });
}

std::string utc_stamp() {
    const std::time_t now = std::time(nullptr);
    std::tm parts{};
    ::gmtime_r(&now, &parts);
    char text[32];
    std::strftime(text, sizeof text, "%Y%m%dT%H%M%SZ", &parts);
    return text;
}

// A new folder DIR/quarantine/<UTC time>[-n].
fs::path make_quarantine_folder(const fs::path& dir) {
    fs::path where = dir / "quarantine" / utc_stamp();
    for (int n = 2; fs::exists(where); ++n)
        where = dir / "quarantine" / (utc_stamp() + "-" + std::to_string(n));
    fs::create_directories(where);
    return where;
}

void copy_prefix(const fs::path& from, const fs::path& to, std::uint64_t size) {
    const file_t in = file_t::open(from, O_RDONLY);
    const file_t out = file_t::open(to, O_WRONLY | O_CREAT | O_TRUNC);
    std::vector<char> chunk(1 << 20);
    std::uint64_t done = 0;
    while (done < size) {
        const auto want = std::size_t(std::min<std::uint64_t>(chunk.size(), size - done));
        const ssize_t got = ::pread(in.get(), chunk.data(), want, off_t(done));
        if (got <= 0)
            throw std::system_error(got < 0 ? errno : EIO, std::generic_category(),
                                    "cannot read " + from.string());
        if (const int error = write_all(out.get(), chunk.data(), std::size_t(got)))
            throw std::system_error(error, std::generic_category(), "cannot write " + to.string());
        done += std::uint64_t(got);
    }
    if (::fdatasync(out.get()) != 0)
        throw std::system_error(errno, std::generic_category(), "cannot sync " + to.string());
}

// Puts the sound prefix of the damaged segment (moved to where) back in its place, or drops
// the segment from the scan if nothing of it is sound.
void keep_sound_prefix(const fs::path& where, directory_scan_t& scan, std::ofstream& text) {
    const std::size_t index = scan.problem.segment;
    auto& damaged = scan.segments[index];
    const std::uint64_t keep_bytes = damaged.valid_bytes;
    if (keep_bytes == 0) {
        scan.segments.resize(index);
        return;
    }
    const fs::path source = where / damaged.file.path.filename();
    const fs::path temporary = damaged.file.path.string() + ".tmp";
    copy_prefix(source, temporary, keep_bytes);
    fs::rename(temporary, damaged.file.path);
    damaged.file_size = keep_bytes;
    text << "kept: the first " << keep_bytes << " bytes (" << damaged.records
         << " records, offsets up to " << damaged.next_offset << ") of the damaged segment as "
         << damaged.file.path.string() << "\n";
    scan.segments.resize(index + 1);
}

// Moves the damaged segment and every later one to DIR/quarantine/<time>/, keeps the
// damaged segment's sound prefix as a fresh file, and writes a report beside them. Returns
// the offset the log continues at.
std::uint64_t quarantine(const fs::path& dir, directory_scan_t& scan,
                         std::vector<std::string>& quarantined) {
    const auto& problem = scan.problem;
    const fs::path where = make_quarantine_folder(dir);
    const auto files = list_segment_files(dir);
    std::ofstream text(where / "report.txt");
    text << "zd-journal recovery quarantined these segments of " << dir.string()
         << "\nproblem: " << problem.what << "\n";
    const bool damaged_was_scanned = problem.segment < scan.segments.size();
    const std::uint64_t resume_offset =
        damaged_was_scanned     ? scan.segments[problem.segment].next_offset
        : scan.segments.empty() ? files[problem.segment].first_offset
                                : scan.segments.back().next_offset;
    for (std::size_t i = problem.segment; i < files.size(); ++i) {
        const fs::path target = where / files[i].path.filename();
        fs::rename(files[i].path, target);
        quarantined.push_back(target.string());
        text << "moved: " << files[i].path.string() << " -> " << target.string() << "\n";
    }
    if (damaged_was_scanned) keep_sound_prefix(where, scan, text);
    text << "the journal continues at offset " << resume_offset
         << "; records from the quarantined files are not served\n";
    text.close();
    sync_directory(where);
    sync_directory(dir);
    scan.problem = {};
    return resume_offset;
}

// DIR/quarantine/<time>/ with its report, made when the first damage is salvaged.
class quarantine_folder_t {
public:
    explicit quarantine_folder_t(const fs::path& dir) : dir_(dir) {}
    const fs::path& path() {
        if (path_.empty()) {
            path_ = make_quarantine_folder(dir_);
            report_.open(path_ / "report.txt");
            report_ << "zd-journal recovery (--repair) of " << dir_.string() << "\n";
        }
        return path_;
    }
    std::ofstream& report() {
        path();
        return report_;
    }
    void close() {
        if (path_.empty()) return;
        report_.close();
        sync_directory(path_);
    }

private:
    fs::path dir_, path_;
    std::ofstream report_;
};

std::string read_whole_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof())
        throw std::system_error(EIO, std::generic_category(), "cannot read " + path.string());
    return bytes;
}

void write_synced(const fs::path& path, const char* data, std::size_t size) {
    const file_t out = file_t::open(path, O_WRONLY | O_CREAT | O_TRUNC);
    if (const int error = write_all(out.get(), data, size))
        throw std::system_error(error, std::generic_category(), "cannot write " + path.string());
    if (::fdatasync(out.get()) != 0)
        throw std::system_error(errno, std::generic_category(), "cannot sync " + path.string());
}

// Salvages the segment the scan found damaged, in place: the bad bytes go to the quarantine
// folder (one file per damaged stretch), the original stays there too (a hard link, so a
// crash at any moment leaves the segment in place, old or new), and the rebuilt file replaces
// it. Returns false, changing nothing, if the damage cannot be bounded.
bool salvage_in_place(const fs::path& dir, const directory_scan_t& scan,
                      quarantine_folder_t& quarantine, recovery_report_t& report) {
    const std::size_t index = scan.problem.segment;
    const segment_file_t file = scan.segments[index].file;
    const auto files = list_segment_files(dir);
    std::optional<std::uint64_t> next_segment;
    for (const auto& other : files)
        if (other.first_offset > file.first_offset) {
            next_segment = other.first_offset;
            break;
        }
    const std::string bytes = read_whole_file(file.path);
    const salvage_t salvage = salvage_segment(file, bytes, next_segment, max_record_body);
    if (!salvage.ok) return false;
    const fs::path where = quarantine.path();
    const std::string name = file.path.filename().string();
    auto& text = quarantine.report();
    text << "damage: " << scan.problem.what << "\n";
    for (const auto& [from, to] : salvage.bad_bytes) {
        const fs::path bad =
            where / (name + ".damaged-bytes-" + std::to_string(from) + "-" + std::to_string(to));
        write_synced(bad, bytes.data() + from, std::size_t(to - from));
        report.quarantined.push_back(bad.string());
        text << "quarantined: bytes " << from << ".." << to << " of " << file.path.string()
             << " -> " << bad.string() << "\n";
    }
    for (const auto& [first, count] : salvage.damaged) {
        text << "damaged records: " << count << " at offset " << first;
        if (count > 1) text << ".." << first + count - 1;
        text << " (each replaced by a quarantine marker: the offset is not handed out again)\n";
        report.damaged_records.emplace_back(first, count);
    }
    if (salvage.torn_bytes)
        text << "cut: " << salvage.torn_bytes << " bytes at the end, nothing sound after them\n";
    text << "kept: " << salvage.kept_after_damage
         << " sound records after the damage, at their own offsets\n";
    report.records_kept_after_damage += salvage.kept_after_damage;
    report.torn_bytes_cut += salvage.torn_bytes;
    const fs::path original = where / name;
    std::error_code linked;
    fs::create_hard_link(file.path, original, linked);
    if (linked) fs::copy_file(file.path, original);
    report.quarantined.push_back(original.string());
    text << "original: " << original.string() << "\n";
    const fs::path temporary = file.path.string() + ".tmp";
    write_synced(temporary, salvage.bytes.data(), salvage.bytes.size());
    fs::rename(temporary, file.path);
    sync_directory(dir);
    return true;
}

// Cuts the incomplete record at the end of the last segment. Returns the bytes cut.
std::uint64_t cut_torn_tail(segment_scan_t& last) {
    const std::uint64_t cut = last.file_size - last.valid_bytes;
    const file_t fd = file_t::open(last.file.path, O_RDWR);
    if (::ftruncate(fd.get(), off_t(last.valid_bytes)) != 0 || ::fdatasync(fd.get()) != 0)
        throw std::system_error(errno, std::generic_category(),
                                "cannot cut the torn tail of " + last.file.path.string());
    last.file_size = last.valid_bytes;
    return cut;
}

// The segments that survived, opened: the last for appends, the others read-only.
std::vector<std::shared_ptr<log_segment_t>> open_segments(const directory_scan_t& scan,
                                                          std::vector<offset_index_t>& indexes) {
    std::vector<std::shared_ptr<log_segment_t>> segments;
    for (std::size_t i = 0; i < scan.segments.size(); ++i) {
        const auto& scanned = scan.segments[i];
        auto segment = std::make_shared<log_segment_t>();
        segment->first_offset = scanned.file.first_offset;
        segment->next_offset = scanned.next_offset;
        segment->path = scanned.file.path;
        segment->size = scanned.valid_bytes;
        segment->first_timestamp_ns = scanned.first_timestamp_ns;
        segment->last_timestamp_ns = scanned.last_timestamp_ns;
        if (i < indexes.size()) segment->index = std::move(indexes[i]);
        const bool last = i + 1 == scan.segments.size();
        segment->fd = file_t::open(segment->path, last ? O_RDWR | O_APPEND : O_RDONLY);
        segments.push_back(std::move(segment));
    }
    return segments;
}

// The first segment of an empty (or wholly quarantined) log.
std::shared_ptr<log_segment_t> create_first_segment(const log_options_t& options,
                                                    std::uint64_t first_offset) {
    std::shared_ptr<log_segment_t> segment;
    if (const int error = create_log_segment(options.dir, first_offset, options.policy, segment))
        throw std::system_error(error, std::generic_category(),
                                "cannot create segment " +
                                    (options.dir / segment_file_name(first_offset)).string());
    return segment;
}

} // namespace

recovered_log_t recover_log(const log_options_t& options, producer_table_t& producers) {
    recovered_log_t log;
    rebuilt_t rebuilt;
    auto scan = scan_and_rebuild(options.dir, producers, rebuilt);
    if (scan.problem.kind == problem_kind::corruption && !options.repair)
        throw corruption_error("journal " + options.dir.string() + ": " + scan.problem.what +
                               " (nothing was changed; start zd-journal with --repair to "
                               "quarantine the damaged bytes and keep every sound record)");
    // Damage inside a scanned segment is salvaged, one damaged segment per pass, until the
    // scan is clean or finds damage that cannot be bounded.
    quarantine_folder_t salvage_quarantine(options.dir);
    while (scan.problem.kind == problem_kind::corruption &&
           scan.problem.segment < scan.segments.size()) {
        const scan_problem_t before = scan.problem;
        if (!salvage_in_place(options.dir, scan, salvage_quarantine, log.report)) break;
        rebuilt = {};
        scan = scan_and_rebuild(options.dir, producers, rebuilt);
        if (scan.problem.kind == problem_kind::corruption &&
            scan.problem.segment == before.segment && scan.problem.position == before.position)
            break; // no progress: quarantine below
    }
    salvage_quarantine.close();
    const problem_kind problem = scan.problem.kind;
    std::uint64_t resume_offset = 0; // where an empty log starts
    if (problem == problem_kind::corruption)
        resume_offset = quarantine(options.dir, scan, log.report.quarantined);
    if (problem == problem_kind::torn_tail)
        log.report.torn_bytes_cut += cut_torn_tail(scan.segments.back());
    log.segments = open_segments(scan, rebuilt.indexes);
    if (log.segments.empty()) log.segments.push_back(create_first_segment(options, resume_offset));
    for (const auto& segment : log.segments)
        log.total_bytes += segment->size;
    log.last_timestamp_ns = rebuilt.last_timestamp_ns;
    log.report.segments = log.segments.size();
    log.report.records = scan.records - rebuilt.markers;
    log.report.first_offset = log.segments.front()->first_offset;
    log.report.next_offset = log.segments.back()->next_offset;
    return log;
}

std::string recovery_report_t::summary() const {
    std::string text = "recovered " + std::to_string(records) + " records in " +
                       std::to_string(segments) + " segment(s), offsets " +
                       std::to_string(first_offset) + ".." + std::to_string(next_offset);
    if (torn_bytes_cut) text += "; cut a torn tail of " + std::to_string(torn_bytes_cut) + " bytes";
    if (!damaged_records.empty()) {
        std::uint64_t count = 0;
        for (const auto& [first, n] : damaged_records)
            count += n;
        text += "; QUARANTINED " + std::to_string(count) + " damaged record(s) at offset(s) ";
        for (std::size_t i = 0; i < damaged_records.size(); ++i) {
            const auto [first, n] = damaged_records[i];
            if (i) text += ',';
            text += std::to_string(first);
            if (n > 1) text.append("..").append(std::to_string(first + n - 1));
        }
        text += ", kept " + std::to_string(records_kept_after_damage) +
                " sound record(s) after the damage; bytes and originals in " +
                std::filesystem::path(quarantined.front()).parent_path().string();
    } else if (!quarantined.empty())
        text += "; QUARANTINED " + std::to_string(quarantined.size()) +
                " damaged segment file(s) or byte range(s), first " + quarantined.front();
    return text;
}

} // namespace zd::journal

// Directory scan for recovery and verification (see recovery.hpp). The one judgement made
// here is the torn-tail rule: damage is forgiven only at the very end of the last segment
// and only if no sound record follows it anywhere — a sound record after bad bytes means
// acknowledged data sits behind the damage, so the bad bytes are corruption, not a tail.
#include "journal/recovery.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

namespace zd::journal {
namespace {

// A read-only view of a whole file (mmap; empty files need none).
class mapped_file_t {
public:
    explicit mapped_file_t(const std::filesystem::path& path) {
        const file_t fd = file_t::open(path, O_RDONLY);
        struct stat info {};
        if (::fstat(fd.get(), &info) != 0)
            throw std::system_error(errno, std::generic_category(), "cannot stat " + path.string());
        size_ = std::size_t(info.st_size);
        if (size_ == 0) return;
        void* data = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd.get(), 0);
        if (data == MAP_FAILED)
            throw std::system_error(errno, std::generic_category(), "cannot map " + path.string());
        ::madvise(data, size_, MADV_SEQUENTIAL);
        data_ = static_cast<const char*>(data);
    }
    ~mapped_file_t() {
        if (data_) ::munmap(const_cast<char*>(data_), size_);
    }
    mapped_file_t(const mapped_file_t&) = delete;
    mapped_file_t& operator=(const mapped_file_t&) = delete;
    std::span<const char> bytes() const { return {data_, size_}; }

private:
    const char* data_ = nullptr;
    std::size_t size_ = 0;
};

} // namespace

// The position of the first sound record at or after from whose offset is at least
// min_offset (records carried inside a payload as data rarely pass that test), or npos.
std::size_t find_sound_record(std::span<const char> bytes, std::size_t from,
                              std::uint64_t min_offset, std::uint32_t max_body) {
    char magic[4];
    const std::uint32_t value = record_magic; // little-endian on disk, as record.cpp writes
    for (int i = 0; i < 4; ++i)
        magic[i] = char((value >> (8 * i)) & 0xFF);
    record_view_t record;
    while (from + record_header_size <= bytes.size()) {
        const void* hit = ::memmem(bytes.data() + from, bytes.size() - from, magic, 4);
        if (!hit) return std::string::npos;
        const std::size_t at = std::size_t(static_cast<const char*>(hit) - bytes.data());
        if (decode_record_into(bytes.subspan(at), record, max_body) == decode_status::ok &&
            record.meta.offset >= min_offset)
            return at;
        from = at + 1;
    }
    return std::string::npos;
}

namespace {

std::string where(const segment_file_t& file, std::uint64_t position) {
    return file.path.string() + ": byte " + std::to_string(position) + ": ";
}

} // namespace

segment_scan_t
scan_segment_bytes(const segment_file_t& file, std::span<const char> bytes, std::uint32_t max_body,
                   scan_problem_t& problem,
                   const std::function<void(const record_view_t&, std::uint64_t)>& visit) {
    segment_scan_t scan;
    scan.file = file;
    scan.file_size = bytes.size();
    scan.next_offset = file.first_offset;
    record_view_t record;
    std::size_t position = 0;
    while (position < bytes.size()) {
        const auto status = decode_record_into(bytes.subspan(position), record, max_body);
        if (status == decode_status::ok && record.meta.offset == scan.next_offset) {
            if (visit) visit(record, position);
            if (scan.records == 0) scan.first_timestamp_ns = record.meta.timestamp_ns;
            scan.last_timestamp_ns = record.meta.timestamp_ns;
            ++scan.records;
            ++scan.next_offset;
            position += record.encoded_size;
            continue;
        }
        // Damage at position. Is there anything sound after it?
        std::string what = where(file, position);
        if (status == decode_status::ok)
            what += "record with offset " + std::to_string(record.meta.offset) + " where " +
                    std::to_string(scan.next_offset) + " was expected";
        else
            what += describe(status) + std::string(" (expected offset ") +
                    std::to_string(scan.next_offset) + ")";
        const std::size_t sound =
            status == decode_status::ok
                ? position
                : find_sound_record(bytes, position + 1, scan.next_offset, max_body);
        problem.position = position;
        if (sound == std::string::npos) {
            problem.kind = problem_kind::torn_tail;
            problem.what = what + "; nothing sound follows (" +
                           std::to_string(bytes.size() - position) + " bytes)";
        } else {
            problem.kind = problem_kind::corruption;
            problem.what = what + "; a sound record follows at byte " + std::to_string(sound);
        }
        break;
    }
    scan.valid_bytes = position;
    return scan;
}

directory_scan_t scan_directory(const std::filesystem::path& dir, std::uint32_t max_body,
                                const scan_visitor_t& visit) {
    directory_scan_t result;
    const auto files = list_segment_files(dir);
    for (std::size_t i = 0; i < files.size(); ++i) {
        const bool last = i + 1 == files.size();
        if (i > 0 && files[i].first_offset != result.segments.back().next_offset) {
            result.problem = {problem_kind::corruption, i, 0,
                              where(files[i], 0) + "segment starts at offset " +
                                  std::to_string(files[i].first_offset) +
                                  " but the one before ends at " +
                                  std::to_string(result.segments.back().next_offset) +
                                  (files[i].first_offset > result.segments.back().next_offset
                                       ? " (records missing)"
                                       : " (segments overlap)")};
            return result;
        }
        const mapped_file_t mapped(files[i].path);
        scan_problem_t problem;
        auto scan = scan_segment_bytes(files[i], mapped.bytes(), max_body, problem,
                                       [&](const record_view_t& record, std::uint64_t position) {
                                           if (visit) visit(i, record, position);
                                       });
        result.records += scan.records;
        result.segments.push_back(std::move(scan));
        if (problem.kind == problem_kind::none) continue;
        problem.segment = i;
        if (problem.kind == problem_kind::torn_tail && !last) {
            problem.kind = problem_kind::corruption;
            problem.what += ", but this is not the last segment";
        }
        result.problem = std::move(problem);
        if (result.problem.kind == problem_kind::corruption) return result;
    }
    return result;
}

} // namespace zd::journal

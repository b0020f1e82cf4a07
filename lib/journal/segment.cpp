// Segment file helpers (see segment.hpp).
#include "journal/segment.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <fcntl.h>
#include <system_error>
#include <unistd.h>

namespace zd::journal {

std::string segment_file_name(std::uint64_t first_offset) {
    char name[32];
    std::snprintf(name, sizeof name, "%020llu.seg", static_cast<unsigned long long>(first_offset));
    return name;
}

std::optional<std::uint64_t> parse_segment_file_name(std::string_view name) {
    if (name.size() != 24 || name.substr(20) != ".seg") return std::nullopt;
    std::uint64_t offset = 0;
    const auto digits = name.substr(0, 20);
    if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return std::nullopt;
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + 20, offset);
    if (error != std::errc() || end != digits.data() + 20) return std::nullopt;
    return offset;
}

std::vector<segment_file_t> list_segment_files(const std::filesystem::path& dir) {
    std::vector<segment_file_t> files;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        if (!entry.is_regular_file()) continue;
        if (const auto offset = parse_segment_file_name(entry.path().filename().string()))
            files.push_back({*offset, entry.path()});
    }
    std::sort(files.begin(), files.end(),
              [](const auto& a, const auto& b) { return a.first_offset < b.first_offset; });
    return files;
}

file_t::~file_t() {
    if (fd_ >= 0) ::close(fd_);
}

file_t& file_t::operator=(file_t&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = other.release();
    }
    return *this;
}

file_t file_t::open(const std::filesystem::path& path, int flags, int mode) {
    int fd;
    do
        fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        throw std::system_error(errno, std::generic_category(), "cannot open " + path.string());
    return file_t(fd);
}

void sync_directory(const std::filesystem::path& dir) {
    const file_t fd = file_t::open(dir, O_RDONLY | O_DIRECTORY);
    if (::fsync(fd.get()) != 0)
        throw std::system_error(errno, std::generic_category(), "cannot fsync " + dir.string());
}

int write_all(int fd, const char* data, std::size_t size) {
    while (size > 0) {
        const ssize_t written = ::write(fd, data, size);
        if (written < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        data += written;
        size -= std::size_t(written);
    }
    return 0;
}

const char* segment_reader_t::fetch(int fd, std::uint64_t position, std::size_t size,
                                    std::uint64_t limit) {
    error_ = 0;
    if (position > limit || size > limit - position) return nullptr;
    if (position >= buffer_position_ && position + size <= buffer_position_ + buffer_size_)
        return buffer_.get() + (position - buffer_position_);
    // Read ahead: consumers read sequentially, so one pread serves many records. A cursor
    // opened for a few records (a retry, a short replay page) starts small; the read-ahead
    // doubles while the reads follow each other.
    constexpr std::size_t max_read_ahead = 256 * 1024;
    if (buffer_size_ > 0 && position >= buffer_position_ &&
        position <= buffer_position_ + buffer_size_)
        read_ahead_ = std::min(read_ahead_ * 2, max_read_ahead);
    else
        read_ahead_ = 16 * 1024;
    const std::size_t want =
        std::size_t(std::min<std::uint64_t>(std::max(size, read_ahead_), limit - position));
    if (capacity_ < want) {
        buffer_.reset(new char[want]);
        capacity_ = want;
    }
    buffer_size_ = 0;
    std::size_t done = 0;
    while (done < want) {
        const ssize_t got = ::pread(fd, buffer_.get() + done, want - done, off_t(position + done));
        if (got < 0) {
            if (errno == EINTR) continue;
            error_ = errno;
            return nullptr;
        }
        if (got == 0) break; // the file is shorter than its committed size: damage
        done += std::size_t(got);
    }
    buffer_position_ = position;
    buffer_size_ = done;
    return done >= size ? buffer_.get() : nullptr;
}

} // namespace zd::journal

// Segment files: naming (the first offset as 20 decimal digits + ".seg", so a directory
// listing sorts in offset order), an owned file descriptor, directory fsync, and a buffered
// pread reader over a file's committed bytes. Shared by the log, recovery and the offline tool.
#pragma once

#include "journal/record.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace zd::journal {

// "00000000000000001234.seg"
std::string segment_file_name(std::uint64_t first_offset);
// The first offset a segment file name stands for, or nullopt if name is not one.
std::optional<std::uint64_t> parse_segment_file_name(std::string_view name);

struct segment_file_t {
    std::uint64_t first_offset = 0;
    std::filesystem::path path;
};
// The segment files of dir, in offset order. Other files are ignored. Throws
// std::filesystem::filesystem_error.
std::vector<segment_file_t> list_segment_files(const std::filesystem::path& dir);

// An open file descriptor, closed on destruction (errors on close are ignored: every write
// that matters has been fdatasync'ed and checked before).
class file_t {
public:
    file_t() = default;
    explicit file_t(int fd) : fd_(fd) {}
    ~file_t();
    file_t(file_t&& other) noexcept : fd_(other.release()) {}
    file_t& operator=(file_t&& other) noexcept;
    file_t(const file_t&) = delete;
    file_t& operator=(const file_t&) = delete;

    int get() const { return fd_; }
    explicit operator bool() const { return fd_ >= 0; }
    int release() {
        const int fd = fd_;
        fd_ = -1;
        return fd;
    }

    // open(2) with O_CLOEXEC added; throws std::system_error naming the path.
    static file_t open(const std::filesystem::path& path, int flags, int mode = 0644);

private:
    int fd_ = -1;
};

// fsync of a directory, so a created, renamed or deleted entry in it is durable. Throws
// std::system_error.
void sync_directory(const std::filesystem::path& dir);

// Writes all of data at the file's current position (O_APPEND files: at the end), retrying
// short writes and EINTR. Returns 0 or the errno of the failed write.
int write_all(int fd, const char* data, std::size_t size);

// Reads records from one segment file with pread through a buffer, never past a limit (the
// committed size). Views it returns stay valid until the next call.
class segment_reader_t {
public:
    // Bytes [position, position + size) of the file, or nullptr if they are not all below
    // limit or the read fails. Sets error to the errno of a failed read.
    const char* fetch(int fd, std::uint64_t position, std::size_t size, std::uint64_t limit);
    // Forgets the buffer (another file, or bytes that may have changed).
    void reset() {
        buffer_size_ = 0;
        read_ahead_ = 16 * 1024;
    }
    int error() const { return error_; }

private:
    std::unique_ptr<char[]> buffer_;     // not zero-filled: every byte used is read first
    std::size_t capacity_ = 0;           // bytes allocated in buffer_
    std::uint64_t buffer_position_ = 0;  // file position of buffer_[0]
    std::size_t buffer_size_ = 0;        // valid bytes in buffer_
    std::size_t read_ahead_ = 16 * 1024; // grows while reads are sequential, up to 256 KiB
    int error_ = 0;
};

} // namespace zd::journal

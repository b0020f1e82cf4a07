#include "shared_block.hpp"

#include <cerrno>
#include <new>
#include <sys/mman.h>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

namespace zd::bench {

namespace {

[[noreturn]] void fail(const char* what) {
    throw std::system_error(errno, std::generic_category(), what);
}

void* map(int fd, std::size_t length) {
    void* memory = mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (memory == MAP_FAILED) fail("mmap of the shared block");
    return memory;
}

} // namespace

static_assert(std::atomic<std::uint64_t>::is_always_lock_free,
              "shared counters must be lock-free to work across processes");

shared_block_t::shared_block_t(std::uint32_t sample_capacity) {
    fd_ = memfd_create("zd-bench", MFD_CLOEXEC);
    if (fd_ < 0) fail("memfd_create");
    length_ = sizeof(shared_header_t) + std::size_t(sample_capacity) * sizeof(std::uint32_t);
    if (ftruncate(fd_, off_t(length_)) != 0) {
        close(fd_);
        fail("ftruncate of the shared block");
    }
    memory_ = map(fd_, length_);
    auto* header = new (memory_) shared_header_t{}; // the file starts zeroed; make it official
    header->sample_capacity = sample_capacity;
}

shared_block_t shared_block_t::attach(int fd) {
    struct stat status {};
    if (fstat(fd, &status) != 0) fail("fstat of the shared block");
    if (std::size_t(status.st_size) < sizeof(shared_header_t)) {
        errno = EINVAL;
        fail("shared block too small");
    }
    return shared_block_t(fd, map(fd, std::size_t(status.st_size)), std::size_t(status.st_size));
}

shared_block_t::shared_block_t(shared_block_t&& other) noexcept
    : fd_(other.fd_), memory_(other.memory_), length_(other.length_) {
    other.fd_ = -1;
    other.memory_ = nullptr;
}

shared_block_t::~shared_block_t() {
    if (memory_) munmap(memory_, length_);
    if (fd_ >= 0) close(fd_);
}

} // namespace zd::bench

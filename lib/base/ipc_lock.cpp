#include "base/ipc_lock.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <map>
#include <mutex>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

namespace zd {

namespace {

constexpr std::string_view ipc_scheme = "ipc://";

// A holder that removes its lock file between our open() and our flock() leaves us with a
// file nobody else will ever look at; we notice and open the new one. Each round is a race
// lost to a process that was exiting or starting at that instant, so a few always suffice.
constexpr int lock_attempts = 100;

std::string errno_text() {
    return std::strerror(errno);
}

// Whether fd is still the file at path (not removed or replaced since we opened it).
bool is_file_at(int fd, const std::string& path) {
    struct stat opened {};
    struct stat named {};
    if (::fstat(fd, &opened) != 0 || ::stat(path.c_str(), &named) != 0) return false;
    return opened.st_dev == named.st_dev && opened.st_ino == named.st_ino;
}

// The pid the holder wrote in its lock file, or 0 if it has not written it yet.
long holder_pid(int fd) {
    char text[32] = {};
    const ssize_t size = ::pread(fd, text, sizeof text - 1, 0);
    if (size <= 0) return 0;
    return std::strtol(text, nullptr, 10);
}

// "pid 1234 (zd-queue)", the name read from /proc when it can be.
std::string describe_process(long pid) {
    if (pid <= 0) return "a pid not written yet";
    std::string text = "pid " + std::to_string(pid);
    std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
    std::string name;
    if (std::getline(comm, name) && !name.empty()) text += " (" + name + ")";
    return text;
}

void write_pid(int fd) {
    const std::string text = std::to_string(::getpid()) + "\n";
    // Best effort: the lock protects the path even if the pid could not be written.
    if (::ftruncate(fd, 0) == 0) (void)!::pwrite(fd, text.data(), text.size(), 0);
}

// Opens (creating) the lock file; read-only if it belongs to another user who let us read
// it (flock needs no write access).
int open_lock_file(const std::string& lock_path, const std::string& socket_path) {
    int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0 && errno == EACCES)
        fd = ::open(lock_path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        throw std::runtime_error("cannot bind ipc://" + socket_path +
                                 ": cannot create its lock file " + lock_path + ": " +
                                 errno_text() +
                                 " (a device locks an ipc path in the directory of the socket, "
                                 "which must exist and be writable)");
    return fd;
}

} // namespace

std::string ipc_lock_target(std::string_view address) {
    if (!address.starts_with(ipc_scheme)) return {};
    const std::string_view path = address.substr(ipc_scheme.size());
    if (path.empty() || path.front() == '@' || path == "*") return {};
    return std::string(path);
}

ipc_lock_t::ipc_lock_t(const std::string& socket_path) : lock_path_(socket_path + ".lock") {
    for (int attempt = 0; attempt < lock_attempts; ++attempt) {
        const int fd = open_lock_file(lock_path_, socket_path);
        if (::flock(fd, LOCK_EX | LOCK_NB) == 0) {
            if (is_file_at(fd, lock_path_)) {
                fd_ = fd;
                write_pid(fd_);
                return;
            }
            ::close(fd); // its holder removed it as it exited: lock the new one
            continue;
        }
        if (errno != EWOULDBLOCK) {
            const std::string why = errno_text();
            ::close(fd);
            throw std::runtime_error("cannot bind ipc://" + socket_path + ": cannot lock " +
                                     lock_path_ + ": " + why);
        }
        const long pid = holder_pid(fd);
        const bool replaced = !is_file_at(fd, lock_path_);
        ::close(fd);
        if (replaced) continue; // the holder is exiting and has removed it: try again
        throw ipc_path_in_use("cannot bind ipc://" + socket_path +
                              ": a live process holds that path: " + describe_process(pid) +
                              ", lock file " + lock_path_ +
                              "; stop it first or choose another path");
    }
    throw std::runtime_error("cannot bind ipc://" + socket_path + ": its lock file " + lock_path_ +
                             " kept being replaced while we tried to lock it");
}

ipc_lock_t::~ipc_lock_t() {
    if (fd_ < 0) return;
    ::unlink(lock_path_.c_str());
    ::close(fd_);
}

ipc_lock_t::ipc_lock_t(ipc_lock_t&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), lock_path_(std::move(other.lock_path_)) {}

void hold_ipc_path(std::string_view address) {
    const std::string socket_path = ipc_lock_target(address);
    if (socket_path.empty()) return;
    // Never destroyed before exit: a static's destructor runs after main has returned, when
    // the sockets have closed and removed their files, so the lock outlives the socket.
    static std::mutex mutex;
    static std::map<std::string, ipc_lock_t> held; // socket path -> its lock
    const std::lock_guard guard(mutex);
    if (held.contains(socket_path)) return;
    held.emplace(socket_path, ipc_lock_t(socket_path));
}

} // namespace zd

// Keeps a second process off the ipc:// path of a live one. Binding an ipc path first removes
// the socket file there (libzmq does, and so does the native engine's listener, so that files
// left by a dead device are taken over), which silently orphans a live device on that path:
// its socket, control socket included, runs on unreachable. So before binding path P a
// process takes an exclusive flock(2) on the file "P.lock" beside it and writes its pid
// there. The kernel drops the lock when the process ends, however it ends, so the files of a
// device killed with SIGKILL are still taken over; a clean exit also removes the lock file.
//
// Not locked: abstract names (ipc://@name: the kernel itself refuses a second bind, and
// there is no file to take over) and ipc://* (libzmq makes up a fresh path).
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace zd {

// Thrown when a live process holds an ipc path; what() names the endpoint, the holder's pid
// and the lock file.
class ipc_path_in_use : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The socket file whose lock a bind of this libzmq address needs ("ipc:///tmp/x" -> "/tmp/x"),
// or empty if it needs none: not ipc, an abstract name, or the ipc wildcard.
std::string ipc_lock_target(std::string_view address);

// An exclusive lock on socket_path + ".lock", with our pid written in it. Move-only.
class ipc_lock_t {
public:
    // Takes the lock. Throws ipc_path_in_use if another process holds it (or another
    // ipc_lock_t of this process: flock locks belong to an open file), std::runtime_error
    // naming the lock file if it cannot be created or locked (no such directory, no write
    // permission, ...). Never blocks.
    explicit ipc_lock_t(const std::string& socket_path);
    // Removes the lock file, then releases the lock (in that order: a process that opened the
    // file meanwhile sees it replaced and tries again, see the .cpp).
    ~ipc_lock_t();
    ipc_lock_t(ipc_lock_t&& other) noexcept;
    ipc_lock_t& operator=(ipc_lock_t&&) = delete;
    ipc_lock_t(const ipc_lock_t&) = delete;
    ipc_lock_t& operator=(const ipc_lock_t&) = delete;

    const std::string& lock_path() const { return lock_path_; }

private:
    int fd_ = -1;
    std::string lock_path_;
};

// Locks the path that binding address needs (see ipc_lock_target; nothing to do for the
// others) for the rest of the process: the lock goes when the process ends, and its file at
// a normal exit, after every socket has closed and removed its socket file. A path this
// process holds already is not locked again: a process that closes a socket and binds its
// path anew (an MDP worker reconnecting) keeps working, and two binds of one path inside one
// process remain that process's own business. Throws as ipc_lock_t. Thread-safe.
void hold_ipc_path(std::string_view address);

} // namespace zd

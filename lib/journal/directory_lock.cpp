// The journal directory's lock (see directory_lock.hpp). flock rather than fcntl locks:
// an flock belongs to the open file, so no other descriptor this process closes drops it.
#include "journal/directory_lock.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/file.h>
#include <system_error>

namespace zd::journal {

directory_lock_t::directory_lock_t(const std::filesystem::path& dir) {
    std::filesystem::create_directories(dir);
    const auto path = dir / "LOCK";
    lock_file_ = file_t::open(path, O_RDWR | O_CREAT);
    if (::flock(lock_file_.get(), LOCK_EX | LOCK_NB) != 0) {
        const int error = errno;
        throw std::system_error(error, std::generic_category(),
                                "journal directory " + dir.string() +
                                    " is in use by another process (lock on " + path.string() +
                                    ")");
    }
}

} // namespace zd::journal

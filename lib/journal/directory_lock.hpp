// The claim of one process on a journal directory: an exclusive flock on DIR/LOCK, held for
// the object's life, so two devices never append to the same log. The kernel drops the lock
// when its holder dies, even by kill -9, so a crash never leaves the directory locked.
#pragma once

#include "journal/segment.hpp"

#include <filesystem>

namespace zd::journal {

class directory_lock_t {
public:
    // Creates dir if missing and locks it. Throws std::system_error when another process
    // holds the lock or the directory or DIR/LOCK cannot be created.
    explicit directory_lock_t(const std::filesystem::path& dir);

private:
    file_t lock_file_; // closing it releases the lock
};

} // namespace zd::journal

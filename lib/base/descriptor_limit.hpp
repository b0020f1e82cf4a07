// The process's limit on open descriptors. Every connection a device holds is a descriptor
// (one per peer, of the native engine or of libzmq's I/O thread), and the soft limit many
// systems start a process with (1024) is far below the hard one (systemd: 524288), so a
// device raises its soft limit to the hard one at start: 5 000 peers, or 5 000 half-open
// connections, must not run it out of descriptors (docs/LIMITS.md). poll() and epoll have
// no FD_SETSIZE; nothing here uses select().
#pragma once

#include <cstdint>

namespace zd {

// Raises RLIMIT_NOFILE's soft limit to its hard limit; returns the soft limit now in force
// (unchanged if the kernel refuses, which never throws: the old limit still works).
std::uint64_t raise_descriptor_limit();

} // namespace zd

#include "cli/version.hpp"

#include <zmq.h>

// ZD_GIT_COMMIT is set on this file only (lib/cli/CMakeLists.txt), so a new commit recompiles
// one file, not every file that sees ZD_VERSION.
#ifndef ZD_GIT_COMMIT
#define ZD_GIT_COMMIT "unknown"
#endif

namespace zd {

std::string version_line(std::string_view program) {
    int major = 0, minor = 0, patch = 0;
    zmq_version(&major, &minor, &patch);
    return std::string(program) + " " + ZD_VERSION + " (commit " + ZD_GIT_COMMIT + ", libzmq " +
           std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch) + ")";
}

} // namespace zd

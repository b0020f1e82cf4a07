// What --version prints for every device and tool: the program, its version, the git commit
// it was built from (found by CMake at configure time, "unknown" outside a git checkout) and
// the libzmq it runs with, so a bug report names exactly what ran.
#pragma once

#include <string>
#include <string_view>

namespace zd {

// "zd-queue 0.1.0 (commit 712cbe3, libzmq 4.3.4)", the libzmq version as loaded at run time.
std::string version_line(std::string_view program);

} // namespace zd

// The certificates of a `zd-bench --curve` run, made fresh in the run's temp dir with
// lib/security, as zd-keygen would make them: one for the device, one its peers share, and
// the device's allow directory holding the peers' public certificate.
#pragma once

#include "bench_plan.hpp"

#include <filesystem>

namespace zd::bench {

// Writes device, device_secret, peer, peer_secret and allow/peer under dir (which must
// exist). Throws std::runtime_error (libzmq without CURVE) or security::certificate_error.
curve_files_t make_curve_files(const std::filesystem::path& dir);

} // namespace zd::bench

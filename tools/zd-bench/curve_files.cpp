#include "curve_files.hpp"

#include "security/certificate.hpp"

namespace zd::bench {

curve_files_t make_curve_files(const std::filesystem::path& dir) {
    namespace fs = std::filesystem;
    const fs::path device = dir / "device";
    const fs::path peer = dir / "peer";
    security::write_certificate_files(device.string(),
                                      security::new_certificate({{"name", "zd-bench device"}}));
    security::write_certificate_files(peer.string(),
                                      security::new_certificate({{"name", "zd-bench peer"}}));
    const fs::path allow = dir / "allow";
    fs::create_directory(allow);
    fs::copy_file(peer, allow / "peer");
    return {device.string() + "_secret", allow, peer.string() + "_secret", device};
}

} // namespace zd::bench

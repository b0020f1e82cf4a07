// Fuzz target: certificate files (lib/security/certificate.hpp), which an operator copies in
// from elsewhere. Any bytes either read into a certificate whose keys are valid Z85 (and whose
// secret, if any, matches its public key) or throw certificate_error naming the origin;
// nothing else. A certificate that reads writes back to text that reads to the same keys.
#include "security/certificate.hpp"
#include "security/z85_key.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {

constexpr std::string_view origin = "fuzz.cert";

void check_certificate(const zd::security::certificate_t& certificate) {
    using zd::security::z85_key_problem;
    if (!z85_key_problem(certificate.public_key).empty()) std::abort();
    if (!certificate.secret_key.empty() &&
        zd::security::public_key_of(certificate.secret_key) != certificate.public_key)
        std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        const auto certificate = zd::security::parse_certificate(text, origin);
        check_certificate(certificate);
        for (const auto& [name, value] : certificate.metadata)
            if (!zd::security::metadata_problem(name, value).empty()) return 0; // not writable
        const auto again = zd::security::parse_certificate(
            certificate.secret_key.empty() ? zd::security::public_certificate_text(certificate)
                                           : zd::security::secret_certificate_text(certificate),
            origin);
        if (again.public_key != certificate.public_key ||
            again.secret_key != certificate.secret_key || again.metadata != certificate.metadata)
            std::abort();
    } catch (const zd::security::certificate_error& error) {
        if (!std::string_view(error.what()).starts_with(std::string(origin) + ":")) std::abort();
    }
    return 0;
}

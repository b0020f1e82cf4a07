// CURVE certificates in CZMQ's zcert format (ZPL text, see docs/SECURITY.md): a public
// certificate NAME and a secret one NAME_secret, so keys made by CZMQ tools work here and
// ours work there. Reading fails closed: a file that is not exactly a valid certificate, or a
// secret file others may read, is refused with a message that names the file and the fix.
//
// Thread-safety: free functions on their arguments; nothing is shared.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace zd::security {

// A certificate that cannot be used: the message names the file (and line) and the fix.
class certificate_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct certificate_t {
    std::string public_key; // Z85, 40 characters, always valid
    std::string secret_key; // Z85, 40 characters; empty for a public certificate
    std::vector<std::pair<std::string, std::string>> metadata; // file order, unique names

    // The "name" metadata, or "" when there is none.
    std::string name() const;
};

// Certificate files larger than this are refused (a real one is about 400 bytes).
constexpr std::size_t max_certificate_file_size = 64 * 1024;

// A fresh certificate: a new key pair (zmq_curve_keypair) and metadata. Throws
// certificate_error for a metadata name or value that cannot be written (see
// metadata_problem) and std::runtime_error when libzmq has no CURVE.
certificate_t new_certificate(std::vector<std::pair<std::string, std::string>> metadata);

// What is wrong with a metadata entry for writing ("" when nothing): a name must be 1 to 255
// ZPL name characters ([A-Za-z0-9$-_@.&+/], not starting or ending with '/'), a value must
// hold no '"' and no control character (CZMQ writes values in double quotes, unescaped).
std::string metadata_problem(std::string_view name, std::string_view value);

// Reads a certificate from ZPL text. origin names the text in messages ("FILE:LINE: ...").
// Needs curve/public-key; takes curve/secret-key when present (checked to match the public
// key) and every metadata/NAME = VALUE. Throws certificate_error for text that is not ZPL, a
// missing public key, a key that is not 40 Z85 characters, a secret key that does not match
// the public one, or a property given twice in curve or metadata. Other sections are ignored,
// as CZMQ does.
certificate_t parse_certificate(std::string_view text, std::string_view origin);

// Reads the certificate file at path (public or secret; permissions are not checked).
// Throws certificate_error when it is missing, unreadable, not a regular file, larger than
// max_certificate_file_size, or does not parse.
certificate_t read_certificate_file(const std::string& path);

// Reads this program's own certificate (--curve-cert, the NAME_secret file), failing closed:
// as read_certificate_file, and also throws certificate_error when the file is readable,
// writable or executable by group or others (the message says "chmod 600 FILE"), or has no
// secret-key. The mode is checked on the opened file (fstat), not on the name.
certificate_t read_secret_certificate(const std::string& path);

// The text of certificate's public file (metadata and public key) or secret file (plus the
// secret key), as CZMQ's zcert_save writes them: a header comment, then the metadata and
// curve sections (the header says "Generated on DATE by zdevices").
std::string public_certificate_text(const certificate_t& certificate);
std::string secret_certificate_text(const certificate_t& certificate);

// Writes base (the public certificate, mode 0644) and base + "_secret" (mode
// 0600, created with that mode, so the secret key is never in a file others may read). Each
// file is written to a temporary name in the same directory, flushed to disk, then put in
// place: with overwrite, by rename over what was there; without, by link, which fails if the
// name exists, and then nothing is written. Throws certificate_error (e.g. "FILE exists").
void write_certificate_files(const std::string& base, const certificate_t& certificate,
                             bool overwrite = false);

} // namespace zd::security

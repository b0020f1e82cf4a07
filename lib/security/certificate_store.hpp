// The allow-list of a CURVE server (--curve-allow DIR): the public certificates in a
// directory, read as CZMQ's zcertstore reads one, and a cheap signature of the directory so a
// caller can poll for changes (zcertstore re-reads when modification time, file count or
// total size changes; the signature holds the same, with the directories' own times added).
//
// What is read: every regular file (symbolic links followed) in DIR and its subdirectories,
// except names ending in "_secret" and names starting with '.' (hidden files and
// directories, e.g. an editor's swap files, as zcertstore skips them). Other entries (FIFOs,
// sockets, devices, dangling links) are ignored.
//
// Fail closed: where zcertstore skips a file it cannot read, we throw: a caller at start
// exits 2 naming the file; a caller re-reading after a change keeps the set it had, logs the
// error, and tries again at the next change. A directory or certificate writable by others
// is refused too: anyone on the host could add a key.
//
// Thread-safety: free functions; nothing is shared.
#pragma once

#include "security/certificate.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace zd::security {

// The public certificates of dir (their secret_key is always empty, even if a file held one),
// sorted by file path; a key in two files is there twice. Throws certificate_error when dir is
// missing, not a directory or unreadable, when a directory or certificate in it is writable by
// others, or when a certificate file does not parse (the message names the file).
std::vector<certificate_t> load_allowed_certificates(const std::string& dir);

// What changes when a certificate is added, removed, renamed or rewritten in dir. Take it
// BEFORE loading: a change made during the load then shows as a difference at the next poll.
struct directory_signature_t {
    std::int64_t newest_mtime_ns = 0; // newest modification of dir, its subdirectories, files
    std::uint64_t file_count = 0;     // the files load_allowed_certificates considers
    std::uint64_t total_size = 0;     // their sizes in bytes, summed
    friend bool operator==(const directory_signature_t&, const directory_signature_t&) = default;
};

// The signature of dir as it is now. Throws certificate_error when dir is missing or not a
// readable directory.
directory_signature_t directory_signature(const std::string& dir);

} // namespace zd::security

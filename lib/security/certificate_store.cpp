// Walking an allow-list directory: one walk serves both the load and the signature, so the two
// can never disagree on which files count.
#include "security/certificate_store.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <functional>
#include <sys/stat.h>

namespace zd::security {

namespace {

// Subdirectories deeper than this are refused: a symbolic link loop would recurse forever.
constexpr int max_directory_depth = 8;

std::int64_t mtime_ns(const struct stat& status) {
    return std::int64_t(status.st_mtim.tv_sec) * 1'000'000'000 + status.st_mtim.tv_nsec;
}

void refuse_writable_by_others(const std::string& path, const struct stat& status) {
    if ((status.st_mode & S_IWOTH) != 0)
        throw certificate_error(path +
                                ": writable by others, so anyone on this host could change who "
                                "gets in; run: chmod o-w " +
                                path);
}

class directory_t {
public:
    explicit directory_t(const std::string& path) : handle_(::opendir(path.c_str())) {
        if (!handle_)
            throw certificate_error(
                path + ": cannot read the certificate directory: " + std::strerror(errno));
    }
    ~directory_t() { ::closedir(handle_); }
    directory_t(const directory_t&) = delete;
    directory_t& operator=(const directory_t&) = delete;
    DIR* handle() const { return handle_; }

private:
    DIR* handle_;
};

struct visitor_t {
    std::function<void(const std::string& path, const struct stat&)> on_directory;
    std::function<void(const std::string& path, const struct stat&)> on_certificate_file;
};

bool is_secret_name(std::string_view name) {
    return name.ends_with("_secret");
}

// Calls the visitor for dir and for each certificate file under it (see the header's rules),
// in no particular order.
void walk(const std::string& dir, const visitor_t& visitor, int depth) {
    struct stat status {};
    if (::stat(dir.c_str(), &status) != 0)
        throw certificate_error(dir +
                                ": cannot read the certificate directory: " + std::strerror(errno));
    if (!S_ISDIR(status.st_mode))
        throw certificate_error(dir + ": not a directory (give the directory that holds the "
                                      "allowed public certificates)");
    if (depth > max_directory_depth)
        throw certificate_error(dir + ": subdirectories nested deeper than " +
                                std::to_string(max_directory_depth) + " (a symbolic link loop?)");
    visitor.on_directory(dir, status);
    directory_t directory(dir);
    for (;;) {
        errno = 0; // readdir's end and its failure differ only by errno, set by nothing else
        const dirent* entry = ::readdir(directory.handle());
        if (!entry) {
            if (errno != 0)
                throw certificate_error(
                    dir + ": cannot list the certificate directory: " + std::strerror(errno));
            return;
        }
        const std::string_view name = entry->d_name;
        if (name.starts_with('.')) continue; // ".", "..", hidden files and directories
        const std::string path = dir + "/" + std::string(name);
        struct stat entry_status {};
        if (::stat(path.c_str(), &entry_status) != 0) continue; // dangling link, or just gone
        if (S_ISDIR(entry_status.st_mode))
            walk(path, visitor, depth + 1);
        else if (S_ISREG(entry_status.st_mode) && !is_secret_name(name))
            visitor.on_certificate_file(path, entry_status);
    }
}

} // namespace

std::vector<certificate_t> load_allowed_certificates(const std::string& dir) {
    std::vector<std::string> paths;
    walk(dir,
         {[](const std::string& path, const struct stat& status) {
              refuse_writable_by_others(path, status);
          },
          [&](const std::string& path, const struct stat& status) {
              refuse_writable_by_others(path, status);
              paths.push_back(path);
          }},
         0);
    std::sort(paths.begin(), paths.end());
    std::vector<certificate_t> certificates;
    certificates.reserve(paths.size());
    for (const auto& path : paths) {
        certificate_t certificate = read_certificate_file(path);
        certificate.secret_key.clear(); // an allow-list needs no secret, so it holds none
        certificates.push_back(std::move(certificate));
    }
    return certificates;
}

directory_signature_t directory_signature(const std::string& dir) {
    directory_signature_t signature;
    const auto note_time = [&](const struct stat& status) {
        signature.newest_mtime_ns = std::max(signature.newest_mtime_ns, mtime_ns(status));
    };
    walk(dir,
         {[&](const std::string&, const struct stat& status) { note_time(status); },
          [&](const std::string&, const struct stat& status) {
              note_time(status);
              ++signature.file_count;
              signature.total_size += std::uint64_t(status.st_size);
          }},
         0);
    return signature;
}

} // namespace zd::security

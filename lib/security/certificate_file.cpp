// Certificate files on disk: reading with the checks a secret needs (on the opened file, so
// the file checked is the file read) and writing so that a secret key never sits in a file
// with a wider mode, not even for a moment, and a crash never leaves half a certificate.
#include "security/certificate.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace zd::security {

namespace {

std::string system_reason(int error) {
    return std::strerror(error);
}

// An open file descriptor, closed on scope exit.
class file_t {
public:
    explicit file_t(int fd) : fd_(fd) {}
    ~file_t() {
        if (fd_ >= 0) ::close(fd_);
    }
    file_t(const file_t&) = delete;
    file_t& operator=(const file_t&) = delete;
    int fd() const { return fd_; }

private:
    int fd_;
};

struct file_contents_t {
    std::string text;
    mode_t mode = 0;
};

file_contents_t read_whole_file(const std::string& path) {
    // O_NONBLOCK: a FIFO given by mistake must not hang the start; it is refused below.
    file_t file(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
    if (file.fd() < 0) {
        const int error = errno;
        throw certificate_error(path + ": cannot open the certificate: " + system_reason(error) +
                                (error == ENOENT ? " (make one with zd-keygen NAME)" : ""));
    }
    struct stat status {};
    if (::fstat(file.fd(), &status) != 0)
        throw certificate_error(path + ": cannot stat: " + system_reason(errno));
    if (!S_ISREG(status.st_mode))
        throw certificate_error(path + ": not a regular file (give the certificate file)");
    if (std::size_t(status.st_size) > max_certificate_file_size)
        throw certificate_error(path + ": " + std::to_string(status.st_size) +
                                " bytes, more than a certificate file can be (" +
                                std::to_string(max_certificate_file_size) + ")");
    file_contents_t contents;
    contents.mode = status.st_mode;
    char buffer[4096];
    for (;;) {
        const ssize_t got = ::read(file.fd(), buffer, sizeof buffer);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) throw certificate_error(path + ": cannot read: " + system_reason(errno));
        if (got == 0) break;
        contents.text.append(buffer, std::size_t(got));
        if (contents.text.size() > max_certificate_file_size)
            throw certificate_error(path + ": grew past " +
                                    std::to_string(max_certificate_file_size) +
                                    " bytes while being read");
    }
    return contents;
}

std::string mode_text(mode_t mode) {
    char text[8] = {};
    std::snprintf(text, sizeof text, "%04o", unsigned(mode & 07777));
    return text;
}

std::string directory_of(const std::string& path) {
    const auto slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

void write_all(int fd, std::string_view text, const std::string& path) {
    while (!text.empty()) {
        const ssize_t written = ::write(fd, text.data(), text.size());
        if (written < 0 && errno == EINTR) continue;
        if (written < 0) throw certificate_error(path + ": cannot write: " + system_reason(errno));
        text.remove_prefix(std::size_t(written));
    }
}

// A file written under a temporary name beside its final one, removed unless placed.
class staged_file_t {
public:
    staged_file_t(const std::string& final_path, std::string_view text, mode_t mode)
        : final_path_(final_path), temporary_path_(final_path + ".XXXXXX") {
        // mkstemp creates with mode 0600; a public file is widened with fchmod before any
        // byte is written, so no moment exists where a secret is in a wider file.
        file_t file(::mkstemp(temporary_path_.data()));
        if (file.fd() < 0)
            throw certificate_error(final_path + ": cannot create a file in " +
                                    directory_of(final_path) + ": " + system_reason(errno));
        staged_ = true;
        if (mode != 0600 && ::fchmod(file.fd(), mode) != 0)
            throw certificate_error(final_path + ": cannot set mode: " + system_reason(errno));
        write_all(file.fd(), text, final_path);
        if (::fsync(file.fd()) != 0)
            throw certificate_error(final_path + ": cannot flush: " + system_reason(errno));
    }
    ~staged_file_t() {
        if (staged_) ::unlink(temporary_path_.c_str());
    }
    staged_file_t(const staged_file_t&) = delete;
    staged_file_t& operator=(const staged_file_t&) = delete;

    // Puts the file in place: rename replaces what is there; link refuses if something is.
    void place(bool overwrite) {
        if (overwrite) {
            if (::rename(temporary_path_.c_str(), final_path_.c_str()) != 0)
                throw certificate_error(final_path_ + ": cannot write: " + system_reason(errno));
            staged_ = false;
            return;
        }
        if (::link(temporary_path_.c_str(), final_path_.c_str()) != 0) {
            const int error = errno;
            throw certificate_error(final_path_ +
                                    (error == EEXIST ? ": exists (use --force to replace it)"
                                                     : ": cannot write: " + system_reason(error)));
        }
    }

private:
    std::string final_path_;
    std::string temporary_path_;
    bool staged_ = false;
};

void refuse_existing(const std::string& path) {
    struct stat status {};
    if (::lstat(path.c_str(), &status) == 0)
        throw certificate_error(path + ": exists (use --force to replace it)");
}

void sync_directory(const std::string& path) {
    file_t directory(::open(directory_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (directory.fd() >= 0) ::fsync(directory.fd()); // best effort: the files are complete
}

} // namespace

certificate_t read_certificate_file(const std::string& path) {
    return parse_certificate(read_whole_file(path).text, path);
}

certificate_t read_secret_certificate(const std::string& path) {
    const file_contents_t contents = read_whole_file(path);
    if ((contents.mode & (S_IRWXG | S_IRWXO)) != 0)
        throw certificate_error(path + ": the secret certificate has mode " +
                                mode_text(contents.mode) +
                                ", so group or others may use it; run: chmod 600 " + path);
    certificate_t certificate = parse_certificate(contents.text, path);
    if (certificate.secret_key.empty())
        throw certificate_error(path +
                                ": no curve/secret-key: this is a public certificate; give the "
                                "NAME_secret file that zd-keygen NAME wrote beside it");
    return certificate;
}

void write_certificate_files(const std::string& base, const certificate_t& certificate,
                             bool overwrite) {
    if (certificate.secret_key.empty())
        throw certificate_error(base + ": the certificate has no secret key to write");
    const std::string secret_path = base + "_secret";
    if (!overwrite) { // say so before writing anything; link() below closes the race
        refuse_existing(base);
        refuse_existing(secret_path);
    }
    staged_file_t secret_file(secret_path, secret_certificate_text(certificate), 0600);
    staged_file_t public_file(base, public_certificate_text(certificate), 0644);
    secret_file.place(overwrite);
    try {
        public_file.place(overwrite);
    } catch (...) {
        if (!overwrite) ::unlink(secret_path.c_str()); // the one placed above, a moment ago
        throw;
    }
    sync_directory(base);
}

} // namespace zd::security

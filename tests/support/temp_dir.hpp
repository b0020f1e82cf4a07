// A private directory under /tmp for ipc:// endpoints and config files, removed with its
// contents when the test ends. Paths stay short: ipc paths are limited to about 107 bytes.
#pragma once

#include <string>

namespace zd::test {

class temp_dir_t {
public:
    // Creates /tmp/zd-test-XXXXXX. Throws std::system_error.
    temp_dir_t();
    ~temp_dir_t();
    temp_dir_t(const temp_dir_t&) = delete;
    temp_dir_t& operator=(const temp_dir_t&) = delete;

    const std::string& path() const { return path_; }

    // path()/name
    std::string file(const std::string& name) const { return path_ + "/" + name; }

    // "ipc://" + file(name)
    std::string ipc(const std::string& name) const { return "ipc://" + file(name); }

    // Writes text to file(name) and returns that path. Throws std::runtime_error.
    std::string write_file(const std::string& name, const std::string& text) const;

private:
    std::string path_;
};

} // namespace zd::test

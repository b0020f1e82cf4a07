// Temporary directories for tests (see temp_dir.hpp).
#include "temp_dir.hpp"

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <stdlib.h>
#include <system_error>

namespace zd::test {

temp_dir_t::temp_dir_t() {
    char pattern[] = "/tmp/zd-test-XXXXXX";
    if (!mkdtemp(pattern)) throw std::system_error(errno, std::generic_category(), "mkdtemp");
    path_ = pattern;
}

temp_dir_t::~temp_dir_t() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

std::string temp_dir_t::write_file(const std::string& name, const std::string& text) const {
    const std::string where = file(name);
    std::ofstream out(where, std::ios::binary);
    out << text;
    if (!out) throw std::runtime_error("cannot write " + where);
    return where;
}

} // namespace zd::test

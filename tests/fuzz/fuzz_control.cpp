// Fuzz target: control requests. The input is split into frames (first byte: frame count,
// then length-prefixed frames); the request parser must find a command or refuse, and the
// command parser must map any bytes to a command without reading past the frame.
#include "base/control.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::size_t count = data[0] % 8;
    std::vector<std::string_view> frames;
    std::size_t at = 1;
    for (std::size_t i = 0; i < count && at < size; ++i) {
        const std::size_t declared = data[at++];
        const std::size_t length = std::min<std::size_t>(declared, size - at);
        frames.emplace_back(reinterpret_cast<const char*>(data + at), length);
        at += length;
    }
    std::vector<std::size_t> sizes;
    for (auto frame : frames)
        sizes.push_back(frame.size());
    const int index = zd::control_command_index(sizes.data(), sizes.size());
    if (index >= int(frames.size())) std::abort();
    if (index >= 0) (void)zd::parse_control_command(frames[std::size_t(index)]);
    return 0;
}

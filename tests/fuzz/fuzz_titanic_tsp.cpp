// Fuzz target: what zd-titanic checks in every 9/TSP request before it stores anything
// (lib/titanic/tsp.hpp): the UUID of titanic.reply / titanic.close, and the service and body
// frames of titanic.request. The input is split into frames as in fuzz_mdp_codec (first byte
// the count, then a length byte and the bytes of each frame). Besides not crashing, the
// answers must hold up: a UUID accepted is exactly 32 hex characters and comes back lower
// case; a request accepted has a service of 1..255 bytes that is not titanic.*, and a body.
#include "titanic/tsp.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

namespace {

void require(bool condition) {
    if (!condition) std::abort();
}

std::vector<std::string_view> split(const std::uint8_t* data, std::size_t size) {
    std::vector<std::string_view> frames;
    if (size == 0) return frames;
    const std::size_t count = data[0] % 12;
    std::size_t at = 1;
    for (std::size_t i = 0; i < count && at < size; ++i) {
        std::size_t length = data[at++];
        if (length == 255 && at < size) length += data[at++];
        length = std::min(length, size - at);
        frames.emplace_back(reinterpret_cast<const char*>(data + at), length);
        at += length;
    }
    return frames;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace zd::titanic;
    const std::vector<std::string_view> frames = split(data, size);
    for (std::string_view frame : frames) {
        const auto uuid = normalize_uuid(frame);
        if (!uuid) continue;
        require(frame.size() == uuid_size && uuid->size() == uuid_size);
        for (std::size_t i = 0; i < uuid_size; ++i) {
            require(std::isxdigit(static_cast<unsigned char>(frame[i])));
            require((*uuid)[i] == std::tolower(static_cast<unsigned char>(frame[i])));
        }
    }
    const request_error error = check_request(frames.data(), frames.size());
    require(describe(error) != nullptr);
    if (error == request_error::none) {
        require(frames.size() >= 2);
        require(!frames[0].empty() && frames[0].size() <= max_service_name);
        require(!frames[0].starts_with("titanic."));
    }
    return 0;
}

// Fuzz target: the broker peering decoder (lib/mdp/peering.hpp), which sees every message a
// peer broker, or anyone who says ZDPB01 to zd-broker's endpoint, sends. The input is split
// into frames as for fuzz_mdp_codec: first byte the frame count (0-79), then for each frame a
// length byte (255 means 255 plus the next byte, so names past the 255-byte limits are
// reachable) and that many bytes. decode() must never read past the frames it is given, and
// what it reports as valid must hold up: the frame table's shape, indices that point at
// frames that exist, numbers that are the frames' bytes.
#include "mdp/codec.hpp"
#include "mdp/peering.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

namespace {

using namespace zd::mdp::peering;

void require(bool condition) {
    if (!condition) std::abort();
}

bool valid_service(std::string_view name) {
    return !name.empty() && name.size() <= zd::mdp::max_service_name;
}

bool valid_path(std::string_view path) {
    return !path.empty() && path.size() % broker_id_size == 0 &&
           path_length(path) <= max_path_brokers;
}

void check_valid(const std::vector<std::string_view>& frames, const message_t& message) {
    const std::size_t count = frames.size();
    require(count >= 2 && frames[0] == header && frames[1].size() == 1);
    require(std::uint8_t(frames[1][0]) == std::uint8_t(message.what));
    switch (message.what) {
    case command::hello:
        require(count == 5);
        require(frames[2].size() == broker_id_size);
        require(frames[3].size() <= max_name);
        require(frames[4].size() == 1 && message.ask == (frames[4][0] == 0));
        break;
    case command::heartbeat:
        require(count == 2);
        break;
    case command::route:
        require(count >= 5 && (count - 2) % 3 == 0);
        for (std::size_t at = 2; at < count; at += 3) {
            require(valid_service(frames[at]));
            require(frames[at + 1].size() == capacity_size);
            require(valid_path(frames[at + 2]));
        }
        break;
    case command::withdraw:
        require(count >= 3);
        for (std::size_t at = 2; at < count; ++at)
            require(valid_service(frames[at]));
        break;
    case command::request:
        require(message.service == 3 && message.path == 4 && message.body == 5);
        require(message.body < count); // at least one body frame
        require(frames[2].size() == request_id_size);
        require(message.request == decode_u64(frames[2]));
        require(valid_service(frames[message.service]));
        require(valid_path(frames[message.path]));
        break;
    case command::reply:
        require(message.body == 4 && message.body < count);
        require(frames[2].size() == request_id_size);
        require(message.request == decode_u64(frames[2]));
        require(frames[3].size() == 1 && message.final == (frames[3][0] == 1));
        require(std::uint8_t(frames[3][0]) <= 1);
        break;
    case command::refuse:
        require(count == 4);
        require(frames[2].size() == request_id_size);
        require(message.request == decode_u64(frames[2]));
        require(frames[3].size() <= max_reason);
        break;
    default:
        require(false); // an unknown command is never valid
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::size_t count = data[0] % 80;
    std::vector<std::string_view> frames;
    std::size_t at = 1;
    for (std::size_t i = 0; i < count && at < size; ++i) {
        std::size_t declared = data[at++];
        if (declared == 255 && at < size) declared += data[at++];
        const std::size_t length = std::min<std::size_t>(declared, size - at);
        frames.emplace_back(reinterpret_cast<const char*>(data + at), length);
        at += length;
    }

    // Exact-size copies, so that a read one byte past a frame is caught by ASan.
    std::vector<std::vector<char>> storage;
    std::vector<std::string_view> exact;
    storage.reserve(frames.size());
    for (auto frame : frames) {
        storage.emplace_back(frame.begin(), frame.end());
        exact.emplace_back(storage.back().data(), storage.back().size());
    }

    const decoded_t decoded = decode(exact.data(), exact.size());
    require(describe(decoded.error) != nullptr);
    require(decoded.ok() == (decoded.error == decode_error::none));
    if (exact.size() < 2) require(decoded.error == decode_error::too_few_frames);
    if (!exact.empty() && exact[0] != header) require(!decoded.ok());
    if (decoded.ok()) check_valid(exact, decoded.message);

    // Decoding is a pure function of the frames.
    const decoded_t again = decode(exact.data(), exact.size());
    require(again.error == decoded.error);
    if (decoded.ok())
        require(again.message.what == decoded.message.what &&
                again.message.request == decoded.message.request &&
                again.message.body == decoded.message.body &&
                again.message.final == decoded.message.final &&
                again.message.ask == decoded.message.ask);

    // The path helpers take any bytes.
    if (exact.size() >= 2) {
        (void)path_contains(exact[0], exact[1]);
        (void)paths_meet(exact[0], exact[1]);
        (void)hex_id(exact[1]);
        if (exact[1].size() == 8) require(encode_u64(decode_u64(exact[1])) == exact[1]);
        if (exact[1].size() == 4) require(encode_u32(decode_u32(exact[1])) == exact[1]);
    }
    return 0;
}

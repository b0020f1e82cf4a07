// Fuzz target: the Majordomo decoder (lib/mdp/codec.hpp), which sees every message any peer
// sends to zd-broker. The input is split into frames: first byte the frame count (0-79),
// then for each frame a length byte (255 means 255 plus the next byte, so service names past
// the 255-byte limit are reachable) and that many bytes. decode() must never read past the
// frames it is given, and what it reports as valid must hold up: every index it returns
// points at a frame that exists and has the shape the frame tables promise.
#include "mdp/codec.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

namespace {

using namespace zd::mdp;

void require(bool condition) {
    if (!condition) std::abort();
}

void check_valid(const std::vector<std::string_view>& frames, const incoming_t& message) {
    const std::size_t count = frames.size();
    // Frame 0 is the routing id; an empty frame 1 is the optional leading delimiter.
    const std::size_t header = message.leading_empty ? 2 : 1;
    require(header < count);
    require(!message.leading_empty || frames[1].empty());
    const std::string_view expected = message.peer == peer_kind::client
                                          ? client_header(message.protocol)
                                          : worker_header(message.protocol);
    require(frames[header] == expected);

    auto valid_service = [&](std::size_t index) {
        require(index < count);
        require(!frames[index].empty() && frames[index].size() <= max_service_name);
    };
    switch (message.what) {
    case command::request:
        require(message.peer == peer_kind::client);
        valid_service(message.service);
        require(message.service == header + (message.protocol == version::v02 ? 2 : 1));
        require(message.body == message.service + 1);
        require(message.body < count);
        break;
    case command::ready:
        require(message.peer == peer_kind::worker);
        valid_service(message.service);
        require(message.service == header + 2);
        require(message.service + 1 == count); // nothing after the service
        break;
    case command::partial:
        require(message.protocol == version::v02); // 0.1 has no PARTIAL
        [[fallthrough]];
    case command::reply:
    case command::worker_request:
        require(message.peer == peer_kind::worker);
        require(message.client == header + 2);
        require(message.client < count);
        require(message.body == message.client + 2);
        require(message.body < count);
        require(frames[message.client + 1].empty());
        break;
    case command::heartbeat:
    case command::disconnect:
        require(message.peer == peer_kind::worker);
        require(header + 2 == count); // header, command and nothing else
        break;
    }
    if (message.peer == peer_kind::worker || message.protocol == version::v02)
        require(frames[header + 1].size() == 1); // one command byte
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
    if (exact.empty()) require(decoded.error == decode_error::no_routing_id);
    if (decoded.ok()) check_valid(exact, decoded.message);

    // Decoding is a pure function of the frames.
    const decoded_t again = decode(exact.data(), exact.size());
    require(again.error == decoded.error);
    if (decoded.ok())
        require(again.message.service == decoded.message.service &&
                again.message.client == decoded.message.client &&
                again.message.body == decoded.message.body &&
                again.message.what == decoded.message.what);
    return 0;
}

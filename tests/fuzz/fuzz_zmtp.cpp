// Fuzz target: ZMTP from a peer (lib/zmtp): the NULL handshake fed in chunks, then the
// traffic after it cut into frames. Checks: the handshake never takes more bytes than it was
// given, ends only with a peer whose type matches ours, and every frame decoded lies inside
// the input, respects the size limit, and encodes back to a frame that decodes the same.
#include "zmtp/command.hpp"
#include "zmtp/connection.hpp"
#include "zmtp/frame.hpp"
#include "zmtp/handshake.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

namespace {

constexpr std::uint64_t max_body = 4096;

void check_frames(std::string_view traffic) {
    while (!traffic.empty()) {
        const auto decoded = zd::zmtp::decode_frame(traffic, max_body);
        if (decoded.status != zd::zmtp::decode_status::frame) return;
        const auto& frame = decoded.frame;
        if (decoded.consumed > traffic.size() || frame.body.size() > max_body) std::abort();
        if (frame.body.data() < traffic.data() ||
            frame.body.data() + frame.body.size() > traffic.data() + traffic.size())
            std::abort();
        std::string again;
        zd::zmtp::append_frame(again, frame.flags & ~zd::zmtp::flag_long, frame.body);
        const auto redecoded = zd::zmtp::decode_frame(again, max_body);
        if (redecoded.status != zd::zmtp::decode_status::frame ||
            redecoded.consumed != again.size() || redecoded.frame.body != frame.body ||
            (redecoded.frame.flags & ~zd::zmtp::flag_long) != (frame.flags & ~zd::zmtp::flag_long))
            std::abort();
        if (frame.command()) {
            if (const auto command = zd::zmtp::parse_command(frame.body))
                (void)zd::zmtp::parse_properties(command->data);
        }
        traffic.remove_prefix(decoded.consumed);
    }
}

// The same bytes through connection_t, over a socketpair: whole messages only, within the
// limits, and a broken connection always says why.
void check_connection(std::string_view peer_bytes, const char* type) {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) std::abort();
    zd::zmtp::connection_t ours(fds[0], type, {},
                                {.max_message = max_body, .max_frames = 8, .read_size = 512});
    if (::write(fds[1], peer_bytes.data(), peer_bytes.size()) != ssize_t(peer_bytes.size()))
        std::abort(); // fits: libFuzzer inputs stay far below a socket buffer
    ::shutdown(fds[1], SHUT_WR);
    std::vector<std::string_view> frames;
    while (ours.on_readable()) {
        while (ours.next_message(frames)) {
            std::uint64_t bytes = 0;
            for (auto frame : frames)
                bytes += frame.size();
            if (frames.empty() || frames.size() > 8 || bytes > max_body) std::abort();
        }
        if (ours.broken()) break;
    }
    if (!ours.broken() || ours.error().empty()) std::abort(); // ends at the peer's EOF at last
    ::close(fds[1]);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    static const char* const types[] = {"PULL", "PUSH", "ROUTER", "DEALER", "XPUB", "XSUB"};
    zd::zmtp::null_handshake_t ours(types[data[0] % 6]);
    const std::size_t chunk = 1 + data[0] / 6 % 97;
    std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
    std::string traffic;
    while (!input.empty()) {
        const std::string_view piece = input.substr(0, chunk);
        input.remove_prefix(piece.size());
        const std::size_t used = ours.feed(piece);
        if (used > piece.size()) std::abort();
        if (ours.done() || ours.failed()) {
            traffic.append(piece.substr(used));
            traffic.append(input);
            break;
        }
        if (used != piece.size()) std::abort(); // still in the handshake: it takes everything
    }
    if (ours.done() && !zd::zmtp::socket_types_match(types[data[0] % 6], ours.peer_socket_type()))
        std::abort();
    if (ours.failed() && ours.error().empty()) std::abort();
    check_frames(ours.done() ? std::string_view(traffic)
                             : std::string_view(reinterpret_cast<const char*>(data), size));
    check_connection(std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1),
                     types[data[0] % 6]);
    return 0;
}

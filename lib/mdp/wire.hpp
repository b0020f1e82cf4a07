// Majordomo's wire constants, one table per version: every header frame and command byte of
// 7/MDP (MDP/0.1) and 18/MDP (MDP/0.2) is written here once, as constexpr data. The codec,
// the broker, the client, the worker session and Titanic all read them from here, so a byte
// can never be spelled two ways. Frame tables: docs/BROKER.md.
#pragma once

#include <cstdint>
#include <string_view>

namespace zd::mdp {

enum class version : std::uint8_t { v01, v02 };

// A command the version does not have (0.1 has no PARTIAL and no client command frames).
// No valid command byte is zero.
inline constexpr std::uint8_t no_command = 0x00;

// What clients and the broker say to each other.
struct client_wire_t {
    std::string_view header; // the protocol frame
    std::uint8_t request;    // client -> broker
    std::uint8_t partial;    // broker -> client: part of a reply
    std::uint8_t final;      // broker -> client: the (last part of the) reply
};

// What workers and the broker say to each other.
struct worker_wire_t {
    std::string_view header; // the protocol frame
    std::uint8_t ready;      // worker -> broker: serving a service
    std::uint8_t request;    // broker -> worker
    std::uint8_t reply;      // worker -> broker: 0.1 REPLY, 0.2 FINAL
    std::uint8_t partial;    // worker -> broker: part of a reply
    std::uint8_t heartbeat;  // either way
    std::uint8_t disconnect; // either way
};

struct wire_t {
    version protocol;
    bool leading_empty; // peers put an empty frame first (0.1: REQ clients, workers as mdwrkapi)
    client_wire_t client;
    worker_wire_t worker;
};

// 7/MDP: clients send no command frame, and the broker's reply is the REPLY.
inline constexpr wire_t wire_v01{
    .protocol = version::v01,
    .leading_empty = true,
    .client = {.header = "MDPC01",
               .request = no_command,
               .partial = no_command,
               .final = no_command},
    .worker = {.header = "MDPW01",
               .ready = 0x01,
               .request = 0x02,
               .reply = 0x03,
               .partial = no_command,
               .heartbeat = 0x04,
               .disconnect = 0x05},
};

// 18/MDP.
inline constexpr wire_t wire_v02{
    .protocol = version::v02,
    .leading_empty = false,
    .client = {.header = "MDPC02", .request = 0x01, .partial = 0x02, .final = 0x03},
    .worker = {.header = "MDPW02",
               .ready = 0x01,
               .request = 0x02,
               .reply = 0x04,
               .partial = 0x03,
               .heartbeat = 0x05,
               .disconnect = 0x06},
};

constexpr const wire_t& wire(version v) {
    return v == version::v01 ? wire_v01 : wire_v02;
}

// A command byte of the tables above as a one-byte frame. byte must be a member of
// wire_v01 or wire_v02 (the view points at it), never a copy.
inline std::string_view command_frame(const std::uint8_t& byte) {
    return {reinterpret_cast<const char*>(&byte), 1};
}

// Whether frame is the one-byte command frame byte (never true for no_command).
constexpr bool is_command_frame(std::string_view frame, std::uint8_t byte) {
    return byte != no_command && frame.size() == 1 && std::uint8_t(frame[0]) == byte;
}

} // namespace zd::mdp

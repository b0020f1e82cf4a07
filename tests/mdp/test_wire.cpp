// The wire table (lib/mdp/wire.hpp) against the command tables of 7/MDP (MDP/0.1) and 18/MDP
// (MDP/0.2): every header and every command byte, byte for byte as the RFCs print them, and
// the commands a version does not have marked as such.
#include "mdp/wire.hpp"

#include <catch2/catch.hpp>
#include <set>

using namespace zd::mdp;

TEST_CASE("wire: MDP/0.1 headers and command bytes are 7/MDP's", "[mdp][wire]") {
    CHECK(wire_v01.protocol == version::v01);
    CHECK(wire_v01.leading_empty);
    CHECK(wire_v01.client.header == "MDPC01");
    CHECK(wire_v01.worker.header == "MDPW01");
    CHECK(wire_v01.worker.ready == 0x01);
    CHECK(wire_v01.worker.request == 0x02);
    CHECK(wire_v01.worker.reply == 0x03);
    CHECK(wire_v01.worker.heartbeat == 0x04);
    CHECK(wire_v01.worker.disconnect == 0x05);
}

TEST_CASE("wire: MDP/0.1 has no PARTIAL and no client command frames", "[mdp][wire]") {
    CHECK(wire_v01.worker.partial == no_command);
    CHECK(wire_v01.client.request == no_command);
    CHECK(wire_v01.client.partial == no_command);
    CHECK(wire_v01.client.final == no_command);
}

TEST_CASE("wire: MDP/0.2 headers and command bytes are 18/MDP's", "[mdp][wire]") {
    CHECK(wire_v02.protocol == version::v02);
    CHECK_FALSE(wire_v02.leading_empty);
    CHECK(wire_v02.client.header == "MDPC02");
    CHECK(wire_v02.client.request == 0x01);
    CHECK(wire_v02.client.partial == 0x02);
    CHECK(wire_v02.client.final == 0x03);
    CHECK(wire_v02.worker.header == "MDPW02");
    CHECK(wire_v02.worker.ready == 0x01);
    CHECK(wire_v02.worker.request == 0x02);
    CHECK(wire_v02.worker.partial == 0x03);
    CHECK(wire_v02.worker.reply == 0x04);
    CHECK(wire_v02.worker.heartbeat == 0x05);
    CHECK(wire_v02.worker.disconnect == 0x06);
}

TEST_CASE("wire: no two worker commands of one version share a byte", "[mdp][wire]") {
    for (const wire_t* table : {&wire_v01, &wire_v02}) {
        const auto& w = table->worker;
        std::set<std::uint8_t> bytes;
        int commands = 0;
        for (const std::uint8_t byte :
             {w.ready, w.request, w.reply, w.partial, w.heartbeat, w.disconnect})
            if (byte != no_command) {
                bytes.insert(byte);
                ++commands;
            }
        CHECK(int(bytes.size()) == commands);
    }
}

TEST_CASE("wire: wire() picks the version's table", "[mdp][wire]") {
    CHECK(&wire(version::v01) == &wire_v01);
    CHECK(&wire(version::v02) == &wire_v02);
    static_assert(wire(version::v02).worker.reply == 0x04, "usable at compile time");
}

TEST_CASE("wire: command frames are one byte, and no_command never matches", "[mdp][wire]") {
    const std::string_view frame = command_frame(wire_v02.worker.heartbeat);
    CHECK(frame == std::string_view("\x05", 1));
    CHECK(is_command_frame(frame, wire_v02.worker.heartbeat));
    CHECK_FALSE(is_command_frame(frame, wire_v01.worker.heartbeat));
    CHECK_FALSE(is_command_frame(std::string_view("\x05\x05", 2), wire_v02.worker.heartbeat));
    CHECK_FALSE(is_command_frame(std::string_view("\x00", 1), no_command));
    CHECK_FALSE(is_command_frame("", no_command));
}

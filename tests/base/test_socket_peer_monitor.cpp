// libzmq sockets' peers as events (lib/base/socket_peer_monitor.hpp), over real tcp on
// 127.0.0.1: a peer connecting is seen with its address, its leaving is seen, and a peer
// that is not ZMTP at all is a handshake failure.
#include "base/socket_peer_monitor.hpp"

#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

// Collects events from the monitor thread; waits for one matching with a deadline.
class recorder_t {
public:
    zd::peer_listener_t listener() {
        return [this](const zd::peer_event_t& event) {
            std::lock_guard lock(mutex_);
            events_.push_back(event);
            changed_.notify_all();
        };
    }
    // The first event of this kind, waiting up to 5 s; fails the test if none comes.
    zd::peer_event_t wait_for(zd::peer_event_t::kind_t kind) {
        std::unique_lock lock(mutex_);
        const auto found = [&] {
            for (const auto& event : events_)
                if (event.kind == kind) return true;
            return false;
        };
        REQUIRE(changed_.wait_for(lock, std::chrono::seconds(5), found));
        for (const auto& event : events_)
            if (event.kind == kind) return event;
        return {};
    }

private:
    std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<zd::peer_event_t> events_;
};

int port_of(const std::string& endpoint) {
    return std::stoi(endpoint.substr(endpoint.rfind(':') + 1));
}

} // namespace

TEST_CASE("a peer that connects and leaves is seen with its address", "[peers]") {
    zmq::context_t context;
    recorder_t recorder;
    zmq::socket_t router(context, zmq::socket_type::router);
    router.set(zmq::sockopt::linger, 0);
    {
        zd::socket_peer_monitor_t monitor(context, recorder.listener());
        monitor.watch(router, 1);
        router.bind("tcp://127.0.0.1:*");
        monitor.start();
        const std::string endpoint = router.get(zmq::sockopt::last_endpoint);

        zmq::socket_t dealer(context, zmq::socket_type::dealer);
        dealer.set(zmq::sockopt::linger, 0);
        dealer.connect(endpoint);
        const auto came = recorder.wait_for(zd::peer_event_t::kind_t::connected);
        CHECK(came.side == 1);
        CHECK(came.address.rfind("127.0.0.1:", 0) == 0);
        CHECK(port_of(came.address) != port_of(endpoint)); // the peer's port, not ours
        CHECK(came.endpoint == endpoint);

        dealer.close();
        const auto went = recorder.wait_for(zd::peer_event_t::kind_t::disconnected);
        CHECK(went.id == came.id);
    } // the monitor ends before the socket it watches, as its header asks
}

TEST_CASE("a peer that does not speak ZMTP is a handshake failure", "[peers]") {
    zmq::context_t context;
    recorder_t recorder;
    zmq::socket_t router(context, zmq::socket_type::router);
    router.set(zmq::sockopt::linger, 0);
    zd::socket_peer_monitor_t monitor(context, recorder.listener());
    monitor.watch(router, 0);
    router.bind("tcp://127.0.0.1:*");
    monitor.start();
    const std::string endpoint = router.get(zmq::sockopt::last_endpoint);

    const int raw = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(raw >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(std::uint16_t(port_of(endpoint)));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(raw, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    // A ZMTP 3.0 greeting asking for the PLAIN mechanism of a NULL server: libzmq fails the
    // handshake on the mismatch. (Bytes that do not start 0xFF would be taken for ZMTP 1.0.)
    unsigned char greeting[64] = {0xFF, 0, 0, 0,   0,   0,   0,   0,  0,
                                  0x7F, 3, 0, 'P', 'L', 'A', 'I', 'N'};
    REQUIRE(::write(raw, greeting, sizeof greeting) == sizeof greeting);
    const auto failed = recorder.wait_for(zd::peer_event_t::kind_t::handshake_failed);
    CHECK(failed.side == 0);
    ::close(raw);
}

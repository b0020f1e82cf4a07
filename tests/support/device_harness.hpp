// What the integration tests share: a running device (child process + its ready line), peer
// sockets that never hang a failing test, and waiting for subscriptions by probe.
#pragma once

#include "child_process.hpp"
#include "json_reader.hpp"
#include "messages.hpp"
#include "temp_dir.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <csignal>
#include <functional>

namespace zd::test {

inline const std::string queue_path = ZD_QUEUE_PATH;
inline const std::string forwarder_path = ZD_FORWARDER_PATH;
inline const std::string streamer_path = ZD_STREAMER_PATH;

// A device started with args and ready (every socket attached). The destructor kills it if a
// test did not stop it.
class device_t {
public:
    device_t(const std::string& path, const std::vector<std::string>& args)
        : process_(path, args), ready_(process_.wait_ready()) {}

    // The address to connect to for the index-th endpoint of side ("frontend", "backend",
    // "control", "capture") as the device resolved it.
    std::string address(const std::string& side, std::size_t index = 0) const {
        return ready_.address(side, index);
    }

    const ready_line_t& ready() const { return ready_; }
    child_process_t& process() { return process_; }

    // Sends signal_number and returns the exit code, or -1 if it did not exit in time.
    int stop(int signal_number = SIGTERM, milliseconds timeout = 5s) {
        process_.send_signal(signal_number);
        return process_.wait_exit(timeout).value_or(-1);
    }

private:
    child_process_t process_;
    ready_line_t ready_;
};

// A socket with linger 0 (a failing test never waits on it at exit), optionally set up
// before it connects to each address in order.
inline zmq::socket_t connect_socket(zmq::context_t& context, zmq::socket_type type,
                                    const std::vector<std::string>& addresses,
                                    const std::function<void(zmq::socket_t&)>& setup = {}) {
    zmq::socket_t socket(context, type);
    socket.set(zmq::sockopt::linger, 0);
    if (setup) setup(socket);
    for (const auto& address : addresses)
        socket.connect(address);
    return socket;
}

// args plus a control endpoint on a tcp port the OS picks (device_stats() asks it).
inline std::vector<std::string> with_control(std::vector<std::string> args) {
    args.insert(args.end(), {"--control", "@tcp://127.0.0.1:*"});
    return args;
}

// A PULL consumer (linger 0, the given receive high-water mark) connected to address,
// returned once its ZMTP handshake is done: the device counts it as a consumer from then on.
inline zmq::socket_t attached_consumer(zmq::context_t& context, const std::string& address,
                                       int receive_hwm) {
    zmq::socket_t consumer(context, zmq::socket_type::pull);
    consumer.set(zmq::sockopt::linger, 0);
    consumer.set(zmq::sockopt::rcvhwm, receive_hwm);
    connection_watch_t watch(context, consumer);
    consumer.connect(address);
    REQUIRE(watch.wait_handshakes(1));
    return consumer;
}

// Sends 1 KiB messages, each starting with its number (from 0), until a send has waited
// 300 ms in vain: the device and its consumers are full. Returns how many were sent.
inline int flood(zmq::socket_t& producer) {
    int sent = 0;
    while (true) {
        const std::string payload = std::to_string(sent) + std::string(1024, 'x');
        if (!producer.send(zmq::buffer(payload), zmq::send_flags::dontwait)) {
            zmq::pollitem_t item{producer.handle(), 0, ZMQ_POLLOUT, 0};
            if (zmq::poll(&item, 1, 300ms) == 0) return sent;
            continue;
        }
        ++sent;
    }
}

// A subscriber and the first frame of the probe it must see.
struct probe_watch_t {
    zmq::socket_t* subscriber;
    std::string probe;
};

// Publishes probes (through publish) until every subscriber has received its probe, draining
// other messages on the way. Subscriptions take time to travel through XSUB/XPUB hops;
// counting starts only after this. Returns false if a subscriber saw no probe in time.
inline bool wait_for_probe(const std::function<void()>& publish,
                           const std::vector<probe_watch_t>& watches, milliseconds timeout = 5s) {
    std::vector<bool> seen(watches.size(), false);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    auto all_seen = [&] { return std::find(seen.begin(), seen.end(), false) == seen.end(); };
    while (!all_seen() && std::chrono::steady_clock::now() < deadline) {
        publish();
        for (std::size_t i = 0; i < watches.size(); ++i)
            while (auto message = recv_multipart(*watches[i].subscriber, seen[i] ? 0ms : 20ms))
                if (message->front() == watches[i].probe) seen[i] = true;
    }
    if (!all_seen()) return false;
    // Probes still in flight would be mistaken for data: drain until quiet.
    for (const auto& watch : watches)
        while (recv_multipart(*watch.subscriber, 100ms)) {
        }
    return true;
}

// The STATS reply of a device, parsed.
inline json_value_t device_stats(zmq::context_t& context, const device_t& device) {
    const auto reply = control_request(context, device.address("control"), "STATS");
    REQUIRE(reply.size() == 1);
    return parse_json(reply[0]);
}

// The STATISTICS reply of a device as its eight numbers.
inline std::vector<std::uint64_t> device_statistics(zmq::context_t& context,
                                                    const device_t& device) {
    const auto reply = control_request(context, device.address("control"), "STATISTICS");
    REQUIRE(reply.size() == 8);
    std::vector<std::uint64_t> values;
    for (const auto& frame : reply)
        values.push_back(frame_to_uint64(frame));
    return values;
}

} // namespace zd::test

#include "roles.hpp"

#include "cli/device_cli.hpp"
#include "cli/number_option.hpp"

#include "mdp/wire.hpp"

#include "base/endpoints.hpp"
#include "base/socket_options.hpp"
#include "security/certificate.hpp"
#include "shared_block.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <thread>
#include <vector>
#include <zmq.hpp>

namespace zd::bench {

namespace {

// Peers wake up this often while idle or blocked, to notice the parent's stop.
constexpr int poll_ms = 20;

bool stopped(shared_header_t& header) {
    return header.stop.load(std::memory_order_relaxed) != 0;
}

// The peer's CURVE keys on the zd-curve path (--curve-cert, --curve-server-key): it only
// ever connects, as a client of the device.
socket_options_t peer_socket_options(const role_options_t& options) {
    socket_options_t socket_options;
    if (options.curve_certificate.empty()) return socket_options;
    const auto own = security::read_secret_certificate(options.curve_certificate);
    const auto server = security::read_certificate_file(options.curve_server_key);
    socket_options.curve = curve_keys_t{own.public_key, own.secret_key, server.public_key};
    return socket_options;
}

// Attaches the peer socket and tells the parent where it is, once, on stdout.
void attach_and_announce(zmq::socket_t& socket, const role_options_t& options) {
    socket.set(zmq::sockopt::linger, 0); // the parent stops us only after its window
    socket.set(zmq::sockopt::rcvtimeo, poll_ms);
    socket.set(zmq::sockopt::sndtimeo, poll_ms);
    // A list when a client connects to several workers (the broker pattern's direct path).
    const auto attached = attach(socket, parse_endpoints(options.endpoint, attach_mode::connect),
                                 peer_socket_options(options));
    std::cout << "ready " << attached.front().to_string() << std::endl;
}

bool would_block() {
    return zmq_errno() == EAGAIN || zmq_errno() == EINTR;
}

// The steady clock in nanoseconds: the one-way patterns' time stamps. CLOCK_MONOTONIC is
// one clock for every process of the host, so the receiver may subtract the sender's.
std::uint64_t now_ns() {
    return std::uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(
                             std::chrono::steady_clock::now().time_since_epoch())
                             .count());
}

// One-way patterns: waits until the receiver has counted past before (the message just sent
// arrived), the parent stops us, or a second has passed (a message lost on the way must not
// stall the run). Sleeps in short steps: a spinning sender would take a core from the hops.
void wait_for_arrival(shared_header_t& header, std::uint64_t before) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    while (header.completed.load(std::memory_order_relaxed) == before && !stopped(header) &&
           std::chrono::steady_clock::now() < give_up)
        std::this_thread::sleep_for(std::chrono::microseconds(20));
}

void run_sender(const role_options_t& options, shared_header_t& header) {
    zmq::context_t context(1);
    const bool publisher = is_pub_sub(options.pattern);
    const bool one_way = is_one_way_latency(options.pattern);
    zmq::socket_t socket(context, publisher ? zmq::socket_type::pub : zmq::socket_type::push);
    // A plain PUB never waits: at its high-water mark it drops, and a sender spinning
    // through drops takes a whole core from the processes being measured, so the figure
    // becomes a race for CPU. With XPUB_NODROP (which PUB honours) it waits at the mark
    // like PUSH, and the figure is what the path can forward. What the device does at its
    // own XPUB is untouched.
    if (publisher) socket.set(zmq::sockopt::xpub_nodrop, 1);
    attach_and_announce(socket, options);
    std::vector<char> payload(options.size, 'z');
    const std::uint64_t limit = options.count ? options.count : UINT64_MAX;
    std::uint64_t sent = 0;
    // A PUB drops everything sent before the subscription has travelled back to it, so
    // until the receiver has a message it sends one probe a millisecond, uncounted; then
    // it counts and goes flat out. Few probes means a device handles nearly exactly
    // --count messages, which instruction counts per message rely on.
    bool counting = !publisher;
    while (!stopped(header)) {
        if (!counting) {
            counting = header.completed.load(std::memory_order_relaxed) > 0;
            if (!counting) {
                zmq_send(socket.handle(), payload.data(), payload.size(), ZMQ_DONTWAIT);
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
                continue;
            }
        }
        if (sent == limit) {
            // Done: wait for stop with the socket open (ipc loses the tail of a stream whose
            // sender closes right after its last send).
            std::this_thread::sleep_for(std::chrono::milliseconds(poll_ms));
            continue;
        }
        const std::uint64_t before = header.completed.load(std::memory_order_relaxed);
        if (one_way) { // the send time, in the first 8 bytes (main checks the size)
            const std::uint64_t stamp = now_ns();
            std::memcpy(payload.data(), &stamp, sizeof stamp);
        }
        if (zmq_send(socket.handle(), payload.data(), payload.size(), 0) >= 0)
            ++sent;
        else if (!would_block())
            throw zmq::error_t();
        else
            continue;
        if (one_way) wait_for_arrival(header, before);
    }
}

void run_receiver(const role_options_t& options, shared_block_t& block) {
    shared_header_t& header = block.header();
    zmq::context_t context(1);
    const bool subscriber = is_pub_sub(options.pattern);
    const bool one_way = is_one_way_latency(options.pattern);
    std::uint32_t* samples = block.samples();
    const std::uint32_t capacity = header.sample_capacity;
    zmq::socket_t socket(context, subscriber ? zmq::socket_type::sub : zmq::socket_type::pull);
    if (subscriber) socket.set(zmq::sockopt::subscribe, "");
    attach_and_announce(socket, options);
    zmq::message_t message;
    std::uint64_t received = 0;
    while (!stopped(header)) {
        const int size = zmq_msg_recv(message.handle(), socket.handle(), 0);
        if (size < 0) {
            if (would_block()) continue;
            throw zmq::error_t();
        }
        if (std::size_t(size) != options.size) header.bad.fetch_add(1, std::memory_order_relaxed);
        if (one_way && capacity && std::size_t(size) >= sizeof(std::uint64_t)) {
            std::uint64_t stamp = 0;
            std::memcpy(&stamp, message.data(), sizeof stamp);
            const std::uint64_t nanoseconds = now_ns() - stamp;
            samples[received % capacity] =
                std::uint32_t(std::min<std::uint64_t>(nanoseconds, UINT32_MAX));
        }
        // release: the parent that sees the count also sees the sample written before it
        header.completed.store(++received, std::memory_order_release);
    }
}

// DEALER client: keeps in_flight requests ([empty][body], the envelope a REP expects)
// outstanding and sends a new one for each reply.
void run_dealer_client(const role_options_t& options, shared_header_t& header) {
    zmq::context_t context(1);
    zmq::socket_t socket(context, zmq::socket_type::dealer);
    attach_and_announce(socket, options);
    std::vector<char> payload(options.size, 'q');
    const std::uint64_t limit = options.count ? options.count : UINT64_MAX;
    std::uint64_t sent = 0, replies = 0;
    auto send_request = [&] {
        if (sent == limit) return;
        // Below the high-water mark these never block; the loop only guards the rule.
        while (!socket.send(zmq::const_buffer(nullptr, 0), zmq::send_flags::sndmore))
            if (stopped(header)) return;
        socket.send(zmq::const_buffer(payload.data(), payload.size()), zmq::send_flags::none);
        ++sent;
    };
    for (int i = 0; i < options.in_flight; ++i)
        send_request();
    zmq::message_t frame;
    while (!stopped(header)) {
        if (zmq_msg_recv(frame.handle(), socket.handle(), 0) < 0) {
            if (would_block()) continue;
            throw zmq::error_t();
        }
        if (frame.more()) continue; // the empty delimiter; the body follows
        if (frame.size() != options.size) header.bad.fetch_add(1, std::memory_order_relaxed);
        header.completed.store(++replies, std::memory_order_relaxed);
        send_request();
    }
}

// REQ client: one request outstanding; each round trip's time goes to the sample ring.
void run_req_client(const role_options_t& options, shared_block_t& block) {
    shared_header_t& header = block.header();
    zmq::context_t context(1);
    zmq::socket_t socket(context, zmq::socket_type::req);
    attach_and_announce(socket, options);
    std::vector<char> payload(options.size, 'l');
    const std::uint64_t limit = options.count ? options.count : UINT64_MAX;
    std::uint32_t* samples = block.samples();
    const std::uint32_t capacity = header.sample_capacity;
    zmq::message_t reply;
    for (std::uint64_t done = 0; done < limit && !stopped(header);) {
        const auto start = std::chrono::steady_clock::now();
        while (
            !socket.send(zmq::const_buffer(payload.data(), payload.size()), zmq::send_flags::none))
            if (stopped(header)) return;
        while (zmq_msg_recv(reply.handle(), socket.handle(), 0) < 0) {
            if (!would_block()) throw zmq::error_t();
            if (stopped(header)) return;
        }
        const auto nanoseconds = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     std::chrono::steady_clock::now() - start)
                                     .count();
        if (reply.size() != options.size) header.bad.fetch_add(1, std::memory_order_relaxed);
        if (capacity)
            samples[done % capacity] = std::uint32_t(std::min<long long>(nanoseconds, UINT32_MAX));
        // release: the parent that sees the count also sees the sample written before it
        header.completed.store(++done, std::memory_order_release);
    }
    while (!stopped(header))
        std::this_thread::sleep_for(std::chrono::milliseconds(poll_ms));
}

void run_worker(const role_options_t& options, shared_header_t& header) {
    zmq::context_t context(1);
    zmq::socket_t socket(context, zmq::socket_type::rep);
    attach_and_announce(socket, options);
    zmq::message_t message;
    while (!stopped(header)) {
        if (zmq_msg_recv(message.handle(), socket.handle(), 0) < 0) {
            if (would_block()) continue;
            throw zmq::error_t();
        }
        // Echo the request itself: the body goes back without a copy.
        while (zmq_msg_send(message.handle(), socket.handle(), 0) < 0) {
            if (!would_block()) throw zmq::error_t();
            if (stopped(header)) return;
        }
    }
}

// The broker patterns' frames on the zd path: MDP/0.2 (18/MDP, docs/BROKER.md).
// The bytes of 18/MDP, from the one table the broker reads (lib/mdp/wire.hpp).
constexpr const zd::mdp::wire_t& mdp_wire = zd::mdp::wire_v02;
constexpr std::string_view mdp_client_header = mdp_wire.client.header;
constexpr std::string_view mdp_worker_header = mdp_wire.worker.header;
constexpr std::uint8_t mdp_client_request = mdp_wire.client.request;
constexpr std::uint8_t mdp_client_final = mdp_wire.client.final;
constexpr std::uint8_t mdp_worker_ready = mdp_wire.worker.ready;
constexpr std::uint8_t mdp_worker_request = mdp_wire.worker.request;
constexpr std::uint8_t mdp_worker_final = mdp_wire.worker.reply;
constexpr std::uint8_t mdp_worker_heartbeat = mdp_wire.worker.heartbeat;
constexpr std::uint8_t mdp_worker_disconnect = mdp_wire.worker.disconnect;
// The one service the benchmark's workers offer.
constexpr std::string_view bench_service = "echo";
// A worker that has sent nothing for this long heartbeats: well inside the broker's
// default 2.5 s interval times 3, even under valgrind.
constexpr auto worker_heartbeat = std::chrono::milliseconds(1000);

// Sends one frame, waiting (in poll_ms steps) while the socket is at its high-water mark.
// Returns false if the parent raised stop meanwhile.
bool send_frame(zmq::socket_t& socket, shared_header_t& header, const void* data, std::size_t size,
                int flags) {
    while (zmq_send(socket.handle(), data, size, flags) < 0) {
        if (!would_block()) throw zmq::error_t();
        if (stopped(header)) return false;
    }
    return true;
}

// The broker patterns' client, the same code on every path: a DEALER keeping in_flight
// requests outstanding, a new one for each reply. direct and zmq_proxy send the body alone;
// zd wraps it in MDP/0.2 (MDPC02 0x01 "echo" body) and expects MDPC02 0x03 "echo" body.
// With one request outstanding each round trip is timed into the sample ring.
void run_broker_client(const role_options_t& options, shared_block_t& block) {
    shared_header_t& header = block.header();
    zmq::context_t context(1);
    zmq::socket_t socket(context, zmq::socket_type::dealer);
    attach_and_announce(socket, options);
    const bool mdp = options.path == path_t::zd;
    const std::size_t reply_frames = mdp ? 4 : 1;
    std::vector<char> payload(options.size, 'b');
    const std::uint64_t limit = options.count ? options.count : UINT64_MAX;
    std::uint32_t* samples = block.samples();
    const std::uint32_t capacity = header.sample_capacity;
    const bool timed = options.in_flight == 1 && capacity > 0;
    std::uint64_t sent = 0, replies = 0;
    std::chrono::steady_clock::time_point started;
    auto send_request = [&] {
        if (sent == limit) return;
        if (timed) started = std::chrono::steady_clock::now();
        if (mdp) {
            if (!send_frame(socket, header, mdp_client_header.data(), mdp_client_header.size(),
                            ZMQ_SNDMORE))
                return;
            // The rest of a message never waits: libzmq queues a message whole.
            send_frame(socket, header, &mdp_client_request, 1, ZMQ_SNDMORE);
            send_frame(socket, header, bench_service.data(), bench_service.size(), ZMQ_SNDMORE);
        }
        if (send_frame(socket, header, payload.data(), payload.size(), 0)) ++sent;
    };
    for (int i = 0; i < options.in_flight; ++i)
        send_request();
    zmq::message_t frame;
    std::size_t index = 0;   // frames of the reply so far
    bool well_formed = true; // the reply's envelope is what the path promises
    while (!stopped(header)) {
        if (zmq_msg_recv(frame.handle(), socket.handle(), 0) < 0) {
            if (would_block()) continue;
            throw zmq::error_t();
        }
        if (mdp) {
            if (index == 0) well_formed = frame.to_string_view() == mdp_client_header;
            if (index == 1)
                well_formed &= frame.size() == 1 && *frame.data<std::uint8_t>() == mdp_client_final;
            if (index == 2) well_formed &= frame.to_string_view() == bench_service;
        }
        ++index;
        if (frame.more()) continue;
        if (!well_formed || index != reply_frames || frame.size() != options.size)
            header.bad.fetch_add(1, std::memory_order_relaxed);
        index = 0;
        if (timed) {
            const auto nanoseconds = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                         std::chrono::steady_clock::now() - started)
                                         .count();
            samples[replies % capacity] =
                std::uint32_t(std::min<long long>(nanoseconds, UINT32_MAX));
        }
        // release: the parent that sees the count also sees the sample written before it
        header.completed.store(++replies, std::memory_order_release);
        send_request();
    }
}

// The broker patterns' worker, the same code on every path: echoes each request whole,
// envelope included. direct: a ROUTER the client connects to ([client id][body]);
// zmq_proxy: a DEALER behind the proxy ([client id][body]); zd: a DEALER speaking
// MDP/0.2: READY first, then REQUEST (MDPW02 0x02 client "" body) goes back as FINAL
// (MDPW02 0x04 client "" body), and a HEARTBEAT when it has sent nothing for a second.
void run_broker_worker(const role_options_t& options, shared_header_t& header) {
    zmq::context_t context(1);
    const bool mdp = options.path == path_t::zd;
    zmq::socket_t socket(context, options.path == path_t::direct ? zmq::socket_type::router
                                                                 : zmq::socket_type::dealer);
    attach_and_announce(socket, options);
    auto last_sent = std::chrono::steady_clock::now();
    auto send_command = [&](std::uint8_t command, std::string_view service) {
        const int more = service.empty() ? 0 : ZMQ_SNDMORE;
        if (!send_frame(socket, header, mdp_worker_header.data(), mdp_worker_header.size(),
                        ZMQ_SNDMORE))
            return;
        send_frame(socket, header, &command, 1, more);
        if (more) send_frame(socket, header, service.data(), service.size(), 0);
        last_sent = std::chrono::steady_clock::now();
    };
    if (mdp) send_command(mdp_worker_ready, bench_service);
    std::vector<zmq::message_t> frames(8);
    bool serving = false;
    while (!stopped(header)) {
        if (zmq_msg_recv(frames[0].handle(), socket.handle(), 0) < 0) {
            if (!would_block()) throw zmq::error_t();
            if (mdp && std::chrono::steady_clock::now() - last_sent >= worker_heartbeat)
                send_command(mdp_worker_heartbeat, {});
            continue;
        }
        std::size_t count = 1;
        for (; frames[count - 1].more(); ++count) { // the rest of a message is already here
            if (count == frames.size()) frames.emplace_back();
            if (zmq_msg_recv(frames[count].handle(), socket.handle(), 0) < 0) throw zmq::error_t();
        }
        if (mdp) {
            if (count < 2 || frames[0].to_string_view() != mdp_worker_header ||
                frames[1].size() != 1)
                throw std::runtime_error("the broker sent something that is not MDP/0.2");
            const std::uint8_t command = *frames[1].data<std::uint8_t>();
            if (command == mdp_worker_heartbeat) continue;
            if (command == mdp_worker_disconnect)
                throw std::runtime_error("the broker disconnected this worker");
            if (command != mdp_worker_request || count < 5)
                throw std::runtime_error("unexpected MDP/0.2 command from the broker");
            *frames[1].data<std::uint8_t>() = mdp_worker_final; // REQUEST becomes FINAL
        }
        if (!serving) { // the parent opens its window once every worker is in service
            serving = true;
            header.serving.fetch_add(1, std::memory_order_relaxed);
        }
        for (std::size_t i = 0; i < count; ++i)
            while (zmq_msg_send(frames[i].handle(), socket.handle(),
                                i + 1 < count ? ZMQ_SNDMORE : 0) < 0) {
                if (!would_block()) throw zmq::error_t();
                if (stopped(header)) return;
            }
        if (mdp) last_sent = std::chrono::steady_clock::now();
    }
}

// libzmq's own device, the reference every zd device is compared with. Runs until the
// parent's SIGTERM ends the process.
void run_zmq_proxy(const role_options_t& options) {
    zmq::context_t context(1);
    zmq::socket_type frontend_type = zmq::socket_type::router;
    zmq::socket_type backend_type = zmq::socket_type::dealer;
    if (options.pattern == pattern_t::streamer || options.pattern == pattern_t::streamer_latency) {
        frontend_type = zmq::socket_type::pull;
        backend_type = zmq::socket_type::push;
    } else if (is_pub_sub(options.pattern)) {
        frontend_type = zmq::socket_type::xsub;
        backend_type = zmq::socket_type::xpub;
    }
    zmq::socket_t frontend(context, frontend_type);
    zmq::socket_t backend(context, backend_type);
    const auto front = attach(frontend, parse_endpoints(options.frontend, attach_mode::bind));
    const auto back = attach(backend, parse_endpoints(options.backend, attach_mode::bind));
    std::fprintf(stderr, "zd-bench zmq_proxy: ready frontend=%s backend=%s\n",
                 to_string(front).c_str(), to_string(back).c_str());
    zmq_proxy(frontend.handle(), backend.handle(), nullptr);
    throw zmq::error_t(); // zmq_proxy returns only when the context ends
}

} // namespace

int run_role_main(int argc, char** argv) {
    CLI::App app{"zd-bench role (internal: started by zd-bench itself)", "zd-bench"};
    role_options_t options;
    std::string pattern = "streamer";
    std::string path = "direct";
    app.add_option("--role", options.role)
        ->required()
        ->check(CLI::IsMember({"sender", "receiver", "client", "worker", "broker-client",
                               "broker-worker", "zmq-proxy"}));
    app.add_option("--pattern", pattern)
        ->check(
            CLI::IsMember({"streamer", "forwarder", "queue", "latency", "broker", "broker-latency",
                           "broker-memory", "streamer-latency", "forwarder-latency"}));
    app.add_option("--path", path)->check(CLI::IsMember({"direct", "zmq_proxy", "zd"}));
    app.add_option("--endpoint", options.endpoint);
    app.add_option("--frontend", options.frontend);
    app.add_option("--backend", options.backend);
    app.add_option("--size", options.size)
        ->check(zd::whole_number(std::size_t(1), std::size_t(1) << 28));
    app.add_option("--count", options.count);
    app.add_option("--in-flight", options.in_flight)->check(zd::whole_number(1, 100000));
    app.add_option("--shared-fd", options.shared_fd);
    app.add_option("--curve-cert", options.curve_certificate);
    app.add_option("--curve-server-key", options.curve_server_key);
    if (const auto code = zd::parse_command_line(app, argc, argv)) return *code;
    options.pattern = parse_pattern(pattern);
    options.path = parse_path(path);
    try {
        if (options.role == "zmq-proxy") {
            run_zmq_proxy(options);
            return 0;
        }
        shared_block_t block = shared_block_t::attach(options.shared_fd);
        shared_header_t& header = block.header();
        if (options.role == "sender")
            run_sender(options, header);
        else if (options.role == "receiver")
            run_receiver(options, block);
        else if (options.role == "worker")
            run_worker(options, header);
        else if (options.role == "broker-worker")
            run_broker_worker(options, header);
        else if (options.role == "broker-client")
            run_broker_client(options, block);
        else if (options.pattern == pattern_t::latency)
            run_req_client(options, block);
        else
            run_dealer_client(options, header);
        return 0;
    } catch (const std::exception& error) {
        std::fprintf(stderr, "zd-bench %s: error: %s\n", options.role.c_str(), error.what());
        return 1;
    }
}

} // namespace zd::bench

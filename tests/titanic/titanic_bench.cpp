// titanic-bench: titanic.request round trips per second with N clients, next to the same
// clients calling the service directly through the broker (the baseline, same run).
//
//   N client threads (DEALER, MDP/0.1 frames as mdcliapi sends them, one request in flight
//   each) --> zd-broker --> zd-titanic (stores, commits, answers 200 + UUID)
//                                         \--> dispatches each stored request to "echo"
//
// A titanic.request round trip ends when the request is durable (200 + UUID), not when the
// echo reply is stored; --drain also waits until Titanic has stored every reply (STATS
// pending == 0 on --control) and reports that end-to-end rate. A 500 (--max-pending
// reached) is counted and retried after 1 ms. Driven by scripts/bench_titanic.sh.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>
#include <zmq_addon.hpp>

namespace {

using steady = std::chrono::steady_clock;

struct options_t {
    std::string broker = "tcp://127.0.0.1:5555";
    std::string control; // zd-titanic's control endpoint, for --drain
    std::string service = "echo";
    bool direct = false; // call the service itself, not titanic.request (the baseline)
    int clients = 8;
    double seconds = 3;
    std::size_t size = 256;
    bool drain = false;
};

[[noreturn]] void usage() {
    std::fprintf(stderr,
                 "usage: titanic-bench [--broker EP] [--clients N] [--seconds S] [--size B]\n"
                 "                     [--service NAME] [--direct] [--drain --control EP]\n");
    std::exit(2);
}

options_t parse(int argc, char** argv) {
    options_t options;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage();
            return argv[++i];
        };
        if (arg == "--broker")
            options.broker = value();
        else if (arg == "--control")
            options.control = value();
        else if (arg == "--service")
            options.service = value();
        else if (arg == "--clients")
            options.clients = std::atoi(value().c_str());
        else if (arg == "--seconds")
            options.seconds = std::atof(value().c_str());
        else if (arg == "--size")
            options.size = std::size_t(std::atol(value().c_str()));
        else if (arg == "--direct")
            options.direct = true;
        else if (arg == "--drain")
            options.drain = true;
        else
            usage();
    }
    if (options.clients < 1 || options.seconds <= 0 || (options.drain && options.control.empty()))
        usage();
    return options;
}

struct client_counts_t {
    std::uint64_t ok = 0, refused = 0, failed = 0;
    char padding[64]; // each thread's counts on their own cache line
};

// One client: request, wait for the answer, repeat until stop.
void client(zmq::context_t& context, const options_t& options, const std::atomic<bool>& stop,
            client_counts_t& counts) {
    zmq::socket_t socket(context, zmq::socket_type::dealer);
    socket.set(zmq::sockopt::linger, 0);
    socket.connect(options.broker);
    const std::string body(options.size, 'x');
    std::vector<zmq::message_t> reply;
    while (!stop.load(std::memory_order_relaxed)) {
        std::vector<zmq::const_buffer> frames = {zmq::str_buffer(""), zmq::str_buffer("MDPC01")};
        if (!options.direct) frames.push_back(zmq::str_buffer("titanic.request"));
        frames.push_back(zmq::buffer(options.service));
        frames.push_back(zmq::buffer(body));
        zmq::send_multipart(socket, frames);
        // A reply never takes 5 s here; if it does the run is broken: count and go on.
        zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
        if (zmq::poll(&item, 1, std::chrono::milliseconds(5000)) == 0) {
            ++counts.failed;
            socket = zmq::socket_t(context, zmq::socket_type::dealer);
            socket.set(zmq::sockopt::linger, 0);
            socket.connect(options.broker);
            continue;
        }
        reply.clear();
        (void)zmq::recv_multipart(socket, std::back_inserter(reply));
        if (options.direct) {
            ++counts.ok;
        } else if (reply.size() >= 4 && reply[3].to_string_view() == "200") {
            ++counts.ok;
        } else {
            ++counts.refused;
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    }
}

std::string stats(zmq::context_t& context, const std::string& control) {
    zmq::socket_t socket(context, zmq::socket_type::req);
    socket.set(zmq::sockopt::linger, 0);
    socket.set(zmq::sockopt::rcvtimeo, 5000);
    socket.connect(control);
    socket.send(zmq::str_buffer("STATS"));
    zmq::message_t reply;
    if (!socket.recv(reply)) return {};
    return reply.to_string();
}

// "pending":N in the STATS JSON (a number right after the key: no JSON parser needed).
long pending(const std::string& json) {
    const auto at = json.find("\"pending\":");
    return at == std::string::npos ? -1 : std::atol(json.c_str() + at + 10);
}

} // namespace

int main(int argc, char** argv) {
    const options_t options = parse(argc, argv);
    zmq::context_t context(1);
    std::atomic<bool> stop{false};
    std::vector<client_counts_t> counts(std::size_t(options.clients));
    std::vector<std::thread> threads;
    const auto start = steady::now();
    for (auto& each : counts)
        threads.emplace_back([&, counts = &each] { client(context, options, stop, *counts); });
    std::this_thread::sleep_for(std::chrono::duration<double>(options.seconds));
    stop = true;
    for (auto& thread : threads)
        thread.join();
    const double elapsed = std::chrono::duration<double>(steady::now() - start).count();
    std::uint64_t ok = 0, refused = 0, failed = 0;
    for (const auto& each : counts) {
        ok += each.ok;
        refused += each.refused;
        failed += each.failed;
    }
    std::printf("mode=%s clients=%d size=%zu requests=%llu refused=%llu failed=%llu "
                "seconds=%.2f rate=%.0f",
                options.direct ? "direct" : "titanic", options.clients, options.size,
                (unsigned long long)ok, (unsigned long long)refused, (unsigned long long)failed,
                elapsed, double(ok) / elapsed);
    if (options.drain) {
        // Until every stored request has its reply stored: the end-to-end rate.
        while (pending(stats(context, options.control)) > 0)
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        const double drained = std::chrono::duration<double>(steady::now() - start).count();
        std::printf(" drained_seconds=%.2f end_to_end_rate=%.0f", drained, double(ok) / drained);
    }
    std::printf("\n");
    return failed == 0 ? 0 : 1;
}

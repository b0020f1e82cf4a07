// Example: a client and a worker talking through a running zd-queue with plain cppzmq
// sockets. Nothing in here knows about zdevices: the queue is just a ROUTER/DEALER pair
// the two ends connect to, which is the point of a device.
//
//   REQ client ---> [zd-queue -f FRONTEND -b BACKEND] ---> REP worker (a thread here)
//
//   zd-queue -f @tcp://127.0.0.1:5559 -b @tcp://127.0.0.1:5560 &
//   example-queue-round-trip tcp://127.0.0.1:5559 tcp://127.0.0.1:5560
//
// Exits 0 when every request got its own reply back, 1 otherwise.
#include <cctype>
#include <cstdio>
#include <string>
#include <thread>
#include <zmq.hpp>

namespace {

constexpr int requests = 5;
constexpr int timeout_ms = 5000; // a missing device fails the example instead of hanging it

// The worker: answers each request by upper-casing it.
void serve(zmq::context_t& context, const std::string& backend) {
    zmq::socket_t worker(context, zmq::socket_type::rep);
    worker.set(zmq::sockopt::linger, 0);
    worker.set(zmq::sockopt::rcvtimeo, timeout_ms);
    worker.connect(backend);
    for (int i = 0; i < requests; ++i) {
        zmq::message_t request;
        if (!worker.recv(request)) return; // timed out: the client will report it
        std::string reply = request.to_string();
        for (char& c : reply)
            c = char(std::toupper(static_cast<unsigned char>(c)));
        worker.send(zmq::buffer(reply), zmq::send_flags::none);
    }
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s FRONTEND BACKEND   (a zd-queue's endpoints)\n", argv[0]);
        return 2;
    }
    zmq::context_t context;
    std::thread worker(serve, std::ref(context), std::string(argv[2]));

    zmq::socket_t client(context, zmq::socket_type::req);
    client.set(zmq::sockopt::linger, 0);
    client.set(zmq::sockopt::rcvtimeo, timeout_ms);
    client.connect(argv[1]);
    int failures = 0;
    for (int i = 1; i <= requests; ++i) {
        const std::string request = "hello " + std::to_string(i);
        client.send(zmq::buffer(request), zmq::send_flags::none);
        zmq::message_t reply;
        if (!client.recv(reply)) {
            std::fprintf(stderr, "no reply to '%s' within %d ms: is zd-queue running?\n",
                         request.c_str(), timeout_ms);
            failures = 1;
            break;
        }
        std::printf("%s -> %s\n", request.c_str(), reply.to_string().c_str());
        if (reply.to_string() != "HELLO " + std::to_string(i)) failures = 1;
    }
    worker.join();
    return failures;
}

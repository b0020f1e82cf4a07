// zd-queue end to end: many clients (REQ and DEALER) share two workers (REP and DEALER)
// through the queue, over tcp and ipc at once; every reply must reach the client that asked.
//
//    4 REQ clients    --> @tcp://127.0.0.1:* --+                +-- @tcp://127.0.0.1:* <-- worker 1
//    (REP)
//                                              [ROUTER] zd-queue [DEALER]
//    4 DEALER clients --> @ipc://DIR/f.ipc   --+                +-- @ipc://DIR/b.ipc   <-- worker 2
//    (DEALER)
//
// Every test runs with each engine: the native one (ZMTP spoken by the queue itself, the
// default) and libzmq's ROUTER/DEALER.
#include "device_harness.hpp"

#include <map>
#include <set>

using namespace zd::test;

namespace {

struct queue_fixture_t {
    std::string engine = GENERATE(std::string("native"), std::string("libzmq"));
    temp_dir_t dir;
    zmq::context_t context;
    device_t device{queue_path,
                    {"-f", "@tcp://127.0.0.1:*,@" + dir.ipc("f.ipc"), "-b",
                     "@tcp://127.0.0.1:*,@" + dir.ipc("b.ipc"), "--control", "@tcp://127.0.0.1:*",
                     "--engine", engine}};
};

// One client: what it has asked and not yet been answered.
struct client_t {
    std::string name;
    zmq::socket_t socket;
    bool is_req;
    int next = 0;                  // next request number to send
    std::set<std::string> waiting; // requests sent, no reply yet
    int answered = 0;
};

} // namespace

TEST_CASE("queue routes every reply to the client that asked, over two workers", "[queue]") {
    queue_fixture_t fixture;
    auto& device = fixture.device;
    auto& context = fixture.context;

    zmq::socket_t worker_1(context, zmq::socket_type::rep);
    zmq::socket_t worker_2(context, zmq::socket_type::dealer);
    connection_watch_t watch_1(context, worker_1);
    connection_watch_t watch_2(context, worker_2);
    worker_1.set(zmq::sockopt::linger, 0);
    worker_2.set(zmq::sockopt::linger, 0);
    worker_1.connect(device.address("backend", 0));
    worker_2.connect(device.address("backend", 1));
    REQUIRE(watch_1.wait_handshakes(1));
    REQUIRE(watch_2.wait_handshakes(1));

    const int per_client = 25;
    std::vector<client_t> clients;
    for (int i = 0; i < 8; ++i) {
        const bool is_req = i < 4;
        clients.push_back(
            {"client-" + std::to_string(i),
             connect_socket(context, is_req ? zmq::socket_type::req : zmq::socket_type::dealer,
                            {device.address("frontend", is_req ? 0 : 1)}),
             is_req,
             0,
             {},
             0});
    }
    auto send_request = [](client_t& client) {
        const std::string body = client.name + ":" + std::to_string(client.next++);
        // DEALER clients frame requests like REQ, so the REP worker can serve them too.
        if (client.is_req)
            send_multipart(client.socket, {body});
        else
            send_multipart(client.socket, {"", body});
        client.waiting.insert(body);
    };
    for (auto& client : clients) {
        if (client.is_req)
            send_request(client); // one at a time
        else
            while (client.next < per_client)
                send_request(client); // all in flight at once
    }

    std::map<std::string, int> served; // worker -> requests served
    int answered = 0;
    const int total = 8 * per_client;
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (answered < total && std::chrono::steady_clock::now() < deadline) {
        std::vector<zmq::pollitem_t> items;
        items.push_back({worker_1.handle(), 0, ZMQ_POLLIN, 0});
        items.push_back({worker_2.handle(), 0, ZMQ_POLLIN, 0});
        for (auto& client : clients)
            items.push_back({client.socket.handle(), 0, ZMQ_POLLIN, 0});
        zmq::poll(items, 100ms);
        if (items[0].revents) {
            auto request = recv_multipart(worker_1, 0ms);
            REQUIRE(request);
            REQUIRE(request->size() == 1);
            send_multipart(worker_1, {request->back() + "|w1"});
            ++served["w1"];
        }
        if (items[1].revents) {
            auto request = recv_multipart(worker_2, 0ms);
            REQUIRE(request);
            // [client routing id, "", body]: echo the envelope, answer the body.
            REQUIRE(request->size() == 3);
            auto reply = *request;
            reply.back() += "|w2";
            send_multipart(worker_2, reply);
            ++served["w2"];
        }
        for (std::size_t i = 0; i < clients.size(); ++i) {
            if (!items[2 + i].revents) continue;
            auto& client = clients[i];
            auto reply = recv_multipart(client.socket, 0ms);
            REQUIRE(reply);
            if (!client.is_req) {
                REQUIRE(reply->size() == 2);
                CHECK(reply->front().empty());
            }
            const std::string& body = reply->back();
            const auto bar = body.rfind('|');
            REQUIRE(bar != std::string::npos);
            const std::string request = body.substr(0, bar);
            INFO(client.name << " got " << body);
            REQUIRE(client.waiting.erase(request) == 1); // its own, and only once
            ++client.answered;
            ++answered;
            if (client.is_req && client.next < per_client) send_request(client);
        }
    }
    CHECK(answered == total);
    for (const auto& client : clients) {
        CHECK(client.answered == per_client);
        CHECK(client.waiting.empty());
    }
    CHECK(served["w1"] > 0);
    CHECK(served["w2"] > 0);
    CHECK(served["w1"] + served["w2"] == total);

    // Nothing was dropped or duplicated on the way.
    const auto stats = device_stats(context, device);
    CHECK(stats["frontend_to_backend"]["received_messages"].as_uint64() == std::uint64_t(total));
    CHECK(stats["frontend_to_backend"]["sent_messages"].as_uint64() == std::uint64_t(total));
    CHECK(stats["backend_to_frontend"]["sent_messages"].as_uint64() == std::uint64_t(total));
    CHECK(stats["backend_to_frontend"]["dropped_messages"].as_uint64() == 0);
    CHECK(device.stop() == 0);
}

TEST_CASE("queue keeps the order of pipelined requests and of their replies", "[queue]") {
    queue_fixture_t fixture;
    auto& device = fixture.device;
    auto client =
        connect_socket(fixture.context, zmq::socket_type::dealer, {device.address("frontend", 1)});
    auto worker =
        connect_socket(fixture.context, zmq::socket_type::dealer, {device.address("backend", 0)});
    const int count = 500; // below every high-water mark: nothing may be dropped
    for (int i = 0; i < count; ++i)
        send_multipart(client, {"", std::to_string(i)});
    for (int i = 0; i < count; ++i) {
        auto request = recv_multipart(worker);
        REQUIRE(request);
        REQUIRE(request->size() == 3);
        REQUIRE(request->back() == std::to_string(i));
        request->back() += "-reply";
        send_multipart(worker, *request);
    }
    for (int i = 0; i < count; ++i)
        REQUIRE(recv_multipart(client) == frames_t{"", std::to_string(i) + "-reply"});
    CHECK(device.stop() == 0);
}

TEST_CASE("queue drops and counts a reply for a client it does not know", "[queue]") {
    queue_fixture_t fixture;
    auto& device = fixture.device;
    auto client =
        connect_socket(fixture.context, zmq::socket_type::req, {device.address("frontend", 0)});
    auto worker =
        connect_socket(fixture.context, zmq::socket_type::dealer, {device.address("backend", 1)});

    send_multipart(worker, {"no-such-client", "", "lost"});
    // The queue goes on serving: a normal round trip after the drop.
    send_multipart(client, {"ping"});
    auto request = recv_multipart(worker);
    REQUIRE(request);
    REQUIRE(request->size() == 3);
    send_multipart(worker, {(*request)[0], "", "pong"});
    CHECK(recv_multipart(client) == frames_t{"pong"});

    const auto stats = device_stats(fixture.context, device);
    CHECK(stats["backend_to_frontend"]["received_messages"].as_uint64() == 2);
    CHECK(stats["backend_to_frontend"]["sent_messages"].as_uint64() == 1);
    CHECK(stats["backend_to_frontend"]["dropped_messages"].as_uint64() == 1);
    CHECK(device.stop() == 0);
}

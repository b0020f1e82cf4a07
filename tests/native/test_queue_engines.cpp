// zd-queue on the native engine, beyond what test_queue.cpp runs on both engines: which
// engine runs, and routing ids as libzmq's ROUTER makes them: a client's own Identity is its
// routing id, a second client with the same one is refused, and the others get five bytes
// of the queue's own (a zero byte, then a counter).
//
//    clients (DEALER) --> [ROUTER] zd-queue [DEALER] --> worker (DEALER, this test)
#include "device_harness.hpp"

using namespace zd::test;

namespace {

struct native_queue_t {
    zmq::context_t context;
    device_t device{queue_path, with_control({"-f", "@tcp://127.0.0.1:*", "-b",
                                              "@tcp://127.0.0.1:*", "--engine", "native"})};
    zmq::socket_t worker =
        connect_socket(context, zmq::socket_type::dealer, {device.address("backend")});

    zmq::socket_t client(const std::string& routing_id = {}) {
        return connect_socket(context, zmq::socket_type::dealer, {device.address("frontend")},
                              [&](zmq::socket_t& s) {
                                  if (!routing_id.empty())
                                      s.set(zmq::sockopt::routing_id, routing_id);
                              });
    }

    // Sends body from client; the worker receives it and returns the routing id it came with.
    std::string request(zmq::socket_t& client, const std::string& body) {
        send_multipart(client, {body});
        const auto request = recv_multipart(worker);
        REQUIRE(request);
        REQUIRE(request->size() == 2);
        CHECK((*request)[1] == body);
        return request->front();
    }
};

} // namespace

TEST_CASE("the queue runs the native engine by default", "[queue][engine]") {
    zmq::context_t context;
    device_t device(queue_path,
                    with_control({"-f", "@tcp://127.0.0.1:*", "-b", "@tcp://127.0.0.1:*"}));
    CHECK(device_stats(context, device)["engine"].text == "native");
    CHECK(device.stop() == 0);
}

TEST_CASE("the native queue routes by a client's own routing id and refuses a duplicate",
          "[queue][engine]") {
    native_queue_t queue;
    auto alice = queue.client("alice");
    REQUIRE(queue.request(alice, "hi") == "alice");
    send_multipart(queue.worker, {"alice", "ho"});
    REQUIRE(recv_multipart(alice) == frames_t{"ho"});

    // Another client says it is alice too: the queue closes its connection after the
    // handshake, and libzmq reconnects it; two handshakes prove the first was refused.
    zmq::socket_t impostor(queue.context, zmq::socket_type::dealer);
    impostor.set(zmq::sockopt::linger, 0);
    impostor.set(zmq::sockopt::routing_id, "alice");
    connection_watch_t watch(queue.context, impostor);
    impostor.connect(queue.device.address("frontend"));
    REQUIRE(watch.wait_handshakes(2));

    // The first alice still gets her replies.
    REQUIRE(queue.request(alice, "again") == "alice");
    send_multipart(queue.worker, {"alice", "still yours"});
    REQUIRE(recv_multipart(alice) == frames_t{"still yours"});
    CHECK(queue.device.stop() == 0);
}

TEST_CASE("the native queue gives clients without an id five bytes of its own", "[queue][engine]") {
    native_queue_t queue;
    auto first = queue.client();
    auto second = queue.client();
    const std::string id_1 = queue.request(first, "one");
    const std::string id_2 = queue.request(second, "two");
    for (const auto& id : {id_1, id_2}) {
        CHECK(id.size() == 5);
        CHECK(id[0] == '\0');
    }
    CHECK(id_1 != id_2);
    send_multipart(queue.worker, {id_2, "for two"});
    send_multipart(queue.worker, {id_1, "for one"});
    CHECK(recv_multipart(first) == frames_t{"for one"});
    CHECK(recv_multipart(second) == frames_t{"for two"});
    CHECK(queue.device.stop() == 0);
}

"""zd-queue with pyzmq clients and workers: every reply reaches the client that asked.

    REQ client 0 ..\\                         /-- REP worker "w1" (replies "w1:" + request)
    REQ client 5 ---> ROUTER [zd-queue] DEALER
    DEALER client --/  (20 in flight)         \\-- REP worker "w2" (replies "w2:" + request)

Run once per engine: the native one (ZMTP spoken by zd-queue itself, against pyzmq's
libzmq) and libzmq's ROUTER/DEALER; STATS must name the engine.

Usage: test_queue.py PATH/TO/zd-queue
"""

import os
import sys

import zmq

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from zdinterop import ENGINES, check, check_engine, engine_device, new_socket, recv_multipart, run

CLIENTS = 6
ROUNDS = 5
IN_FLIGHT = 20  # well below the high-water mark, so no reply may be dropped
TIMEOUT_MS = 5000


def serve_until(workers, served, clients, done, what):
    """Answers requests on every worker until done() (which reads the clients) is true.
    The workers' REP sockets strip and restore the envelope, so the queue can route each
    reply back. Waits on workers and clients together: only silence on both is a failure."""
    poller = zmq.Poller()
    for socket in [*workers.values(), *clients]:
        poller.register(socket, zmq.POLLIN)
    while not done():
        ready = dict(poller.poll(TIMEOUT_MS))
        check(ready, f"nothing happened for {TIMEOUT_MS} ms while waiting for {what}")
        for name, socket in workers.items():
            if socket in ready:
                request = socket.recv_multipart()
                check(len(request) == 1, f"worker {name} got {len(request)} frames, not 1")
                served[name] += 1
                socket.send(name.encode() + b":" + request[0])


def test(context, queue_path):
    for engine in ENGINES:
        test_engine(context, queue_path, engine)


def test_engine(context, queue_path, engine):
    with engine_device(queue_path, engine, "-f", "@tcp://127.0.0.1:*", "-b",
                       "@tcp://127.0.0.1:*") as queue:
        check_engine(queue, engine)
        workers = {name: new_socket(context, zmq.REP, queue.address("backend"))
                   for name in ("w1", "w2")}
        served = {name: 0 for name in workers}
        clients = [new_socket(context, zmq.REQ, queue.address("frontend"))
                   for _ in range(CLIENTS)]

        # Round by round, each REQ client asks one question; the worker answering must be
        # irrelevant to which client gets the reply.
        for round_number in range(ROUNDS):
            pending = {}
            for index, client in enumerate(clients):
                request = f"client-{index}-round-{round_number}".encode()
                client.send(request)
                pending[index] = request
            replies = {}

            def all_replied():
                for index, client in enumerate(clients):
                    if client.poll(0):
                        check(index not in replies, f"client {index} got two replies")
                        replies[index] = client.recv_multipart()
                return len(replies) == CLIENTS

            serve_until(workers, served, clients, all_replied,
                        f"replies of round {round_number}")
            for index, request in pending.items():
                reply = replies[index]
                check(len(reply) == 1, f"client {index} got a {len(reply)}-frame reply")
                check(reply[0] in (b"w1:" + request, b"w2:" + request),
                      f"client {index} asked {request!r} but got {reply[0]!r}")

        # A DEALER client keeps many requests in flight; it writes the empty delimiter a REQ
        # socket would, so the REP workers accept the envelope.
        dealer = new_socket(context, zmq.DEALER, queue.address("frontend"))
        expected = set()
        for number in range(IN_FLIGHT):
            request = f"dealer-{number}".encode()
            dealer.send_multipart([b"", request])
            expected.add(request)
        answered = []

        def dealer_done():
            while dealer.poll(0):
                answered.append(dealer.recv_multipart())
            return len(answered) >= IN_FLIGHT

        serve_until(workers, served, [dealer], dealer_done, "the DEALER client's replies")
        seen = set()
        for reply in answered:
            check(len(reply) == 2 and reply[0] == b"",
                  f"DEALER client got a malformed reply {reply!r}")
            worker, _, request = reply[1].partition(b":")
            check(worker in (b"w1", b"w2") and request in expected,
                  f"DEALER client got a reply to something it never asked: {reply[1]!r}")
            check(request not in seen, f"DEALER client got {request!r} answered twice")
            seen.add(request)
        check(seen == expected, f"DEALER client is missing replies: {sorted(expected - seen)}")
        check(not dealer.poll(100), "DEALER client got more replies than it asked for")

        total = ROUNDS * CLIENTS + IN_FLIGHT
        check(sum(served.values()) == total,
              f"workers served {served}, expected {total} requests in all")
        check(all(count > 0 for count in served.values()),
              f"round-robin should give both workers work, got {served}")
        check(queue.stop() == 0, f"zd-queue ({engine}) did not exit 0 on SIGTERM")


if __name__ == "__main__":
    sys.exit(run(test))

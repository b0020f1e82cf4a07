"""MDP/0.2 (18/MDP) peers against zd-broker, built straight from the RFC's frame tables:
clients and workers are DEALER sockets with no empty frame; a worker streams PARTIALs and
then one FINAL; a client keeps several requests in flight.

    DEALER client --[MDPC02, 0x01, service, body+]-->            --[MDPW02, 0x02, client, "", body+]--> DEALER worker x2
                  <--[MDPC02, 0x02, service, part]-- (PARTIAL)   <--[MDPW02, 0x03, client, "", part]--
                  <--[MDPC02, 0x03, service, last]-- (FINAL)     <--[MDPW02, 0x04, client, "", last]--

Also: a majortomo-style 0.2 client that puts an empty frame first gets it back, and a 0.1 REQ
client of the same streaming service gets only the FINAL (PARTIALs counted as dropped).

Usage: test_interop_v02.py PATH/TO/zd-broker
"""

import zmq

from mdptest import (C01, C02, C02_FINAL, C02_PARTIAL, C02_REQUEST, Broker, Worker, check,
                     client_request_v01, client_request_v02, new_socket, recv_multipart, run)

IN_FLIGHT = 12
PARTS = 3


def serve_stream(workers, requests_left, poller):
    """Each worker answers each request with PARTS partials and a final."""
    ready = dict(poller.poll(5000))
    check(ready, "no worker got a request for 5 s")
    for worker in workers:
        if worker.socket in ready:
            request = worker.try_request()
            if request is None:
                continue
            address, body = request
            for part in range(PARTS):
                worker.partial(address, body[0] + f" part {part}".encode())
            worker.reply(address, body[0] + b" final")
            requests_left[0] -= 1


def test(context, broker_path):
    with Broker(broker_path) as broker:
        workers = [Worker(context, broker.endpoint, "stream", version=2) for _ in range(2)]
        for worker in workers:
            worker.ready()
        broker.wait_stats(lambda s: s["workers"] == 2, "both workers' READY")

        # Several requests in flight on one DEALER.
        client = new_socket(context, zmq.DEALER, broker.endpoint)
        for index in range(IN_FLIGHT):
            client_request_v02(client, "stream", f"request {index}")

        poller = zmq.Poller()
        for worker in workers:
            poller.register(worker.socket, zmq.POLLIN)
        left = [IN_FLIGHT]
        while left[0]:
            serve_stream(workers, left, poller)

        # Per request: PARTS partials in order, then the final. Requests interleave.
        seen = {}
        finals = 0
        while finals < IN_FLIGHT:
            reply = recv_multipart(client, 5000, "partials and finals")
            check(len(reply) == 4 and reply[0] == C02 and reply[2] == b"stream",
                  f"bad 0.2 reply shape: {reply!r}")
            request, _, tail = reply[3].partition(b" part ")
            if reply[1] == C02_PARTIAL:
                count = seen.get(request, 0)
                check(tail == str(count).encode(), f"partial out of order: {reply!r}")
                seen[request] = count + 1
            else:
                check(reply[1] == C02_FINAL, f"unknown client command {reply[1]!r}")
                request = reply[3][: -len(b" final")]
                check(reply[3].endswith(b" final"), f"bad final {reply!r}")
                check(seen.get(request) == PARTS, f"final before all partials: {reply!r}")
                finals += 1
        check(sorted(seen) == sorted(f"request {i}".encode() for i in range(IN_FLIGHT)),
              f"replies for the wrong requests: {sorted(seen)!r}")
        check(all(worker.served > 0 for worker in workers), "one worker did all the work")

        # majortomo-style: an empty frame first, mirrored in every reply.
        majortomo = new_socket(context, zmq.DEALER, broker.endpoint)
        majortomo.send_multipart([b"", C02, C02_REQUEST, b"stream", b"mt"])
        left = [1]
        serve_stream(workers, left, poller)
        for expected in [C02_PARTIAL] * PARTS + [C02_FINAL]:
            reply = recv_multipart(majortomo, 5000, "majortomo-style replies")
            check(reply[:4] == [b"", C02, expected, b"stream"],
                  f"leading empty frame not mirrored: {reply!r}")

        # A 0.1 client cannot take PARTIAL: it gets the FINAL only.
        old = new_socket(context, zmq.REQ, broker.endpoint)
        client_request_v01(old, "stream", "old")
        left = [1]
        serve_stream(workers, left, poller)
        reply = recv_multipart(old, 5000, "the 0.1 client's reply")
        check(reply == [C01, b"stream", b"old final"], f"0.1 client got {reply!r}")

        stats = broker.wait_stats(lambda s: s["replies"] == IN_FLIGHT + 2, "every final counted")
        check(stats["partials"] == PARTS * (IN_FLIGHT + 1), f"partials: {stats}")
        check(stats["dropped_partials"] == PARTS, f"dropped_partials: {stats}")
        check(stats["protocol_errors"] == 0, f"protocol errors: {stats}")
        check(stats["services"]["stream"]["served"] == IN_FLIGHT + 2, f"served: {stats}")
        for socket in (client, majortomo, old, *[w.socket for w in workers]):
            socket.close(linger=0)


if __name__ == "__main__":
    raise SystemExit(run(test))

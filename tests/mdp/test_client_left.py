"""A client that leaves: zd-broker learns of the closed connection (socket monitor + ZMQ_SRCFD)
and drops the client's queued requests instead of dispatching them to workers; the one
already in flight finishes, and its reply is counted as unroutable, never silently lost.

    DEALER client --4 requests--> [zd-broker] --> worker (holds request 0)
    client closes                  requests 1-3 abandoned; reply to 0 unroutable

Then a new client on a new connection (the descriptor number is likely reused) is served
normally: the old close must not touch it.

Usage: test_client_left.py PATH/TO/zd-broker
"""

import zmq

from mdptest import (C02, C02_FINAL, Broker, Worker, check, client_request_v02, new_socket,
                     recv_multipart, run)


def test(context, broker_path):
    with Broker(broker_path) as broker:
        worker = Worker(context, broker.endpoint, "svc", version=2)
        worker.ready()
        broker.wait_stats(lambda s: s["workers"] == 1, "the worker's READY")

        client = new_socket(context, zmq.DEALER, broker.endpoint)
        for index in range(4):
            client_request_v02(client, "svc", f"{index}")
        address, body = worker.receive_request()
        check(body == [b"0"], f"worker got {body!r}")
        broker.wait_stats(lambda s: s["services"]["svc"]["queued"] == 3, "three queued")

        client.close(linger=0)
        stats = broker.wait_stats(lambda s: s["abandoned"] == 3, "the queued requests dropped")
        check(stats["services"]["svc"]["queued"] == 0, f"still queued: {stats}")
        check(stats["services"]["svc"]["in_flight"] == 1, f"in flight: {stats}")

        worker.reply(address, b"too late")
        stats = broker.wait_stats(lambda s: s["unroutable_replies"] == 1, "the unroutable reply")
        check(stats["replies"] == 0 and stats["clients"] == 0, f"stats: {stats}")
        check(not worker.socket.poll(200), "an abandoned request was dispatched")

        newcomer = new_socket(context, zmq.DEALER, broker.endpoint)
        client_request_v02(newcomer, "svc", "fresh")
        address, body = worker.receive_request()
        check(body == [b"fresh"], f"worker got {body!r}")
        worker.reply(address, b"welcome")
        reply = recv_multipart(newcomer, 5000, "the newcomer's reply")
        check(reply == [C02, C02_FINAL, b"svc", b"welcome"], f"newcomer got {reply!r}")
        stats = broker.broker_stats()
        check(stats["abandoned"] == 3 and stats["replies"] == 1, f"stats: {stats}")
        check(stats["protocol_errors"] == 0 and stats["retried"] == 0, f"stats: {stats}")
        newcomer.close(linger=0)
        worker.close()


if __name__ == "__main__":
    raise SystemExit(run(test))

"""MDP/0.1 (7/MDP) peers against zd-broker, built straight from the RFC's frame tables:
the client is a REQ socket, the worker a DEALER that puts the empty frame first.

    REQ client  --[MDPC01, service, body+]-->           --["", MDPW01, 0x02, client, "", body+]--> DEALER worker
                <--[MDPC01, service, body+]--  zd-broker <--["", MDPW01, 0x03, client, "", body+]--
                                                        <--["", MDPW01, 0x01, service] (READY)
                                                        <--> ["", MDPW01, 0x04] HEARTBEAT, 0x05 DISCONNECT

Usage: test_interop_v01.py PATH/TO/zd-broker
"""

import zmq

from mdptest import (C01, W01_DISCONNECT, W01_HEARTBEAT, Broker, Worker, check,
                     client_request_v01, new_socket, recv_multipart, run)


def test(context, broker_path):
    with Broker(broker_path, "--heartbeat-interval", "200") as broker:
        worker = Worker(context, broker.endpoint, "echo", version=1)
        worker.ready()
        broker.wait_stats(lambda s: s["workers"] == 1, "the worker's READY")

        # One REQ client, several rounds, multi-frame bodies including an empty frame.
        client = new_socket(context, zmq.REQ, broker.endpoint)
        for round_number in range(5):
            body = [f"hello {round_number}".encode(), b"", b"\x00\xff binary"]
            client_request_v01(client, "echo", *body)
            address, request = worker.receive_request()
            check(request == body, f"worker got {request!r}, sent {body!r}")
            worker.reply(address, b"echo:" + body[0], *body[1:])
            reply = recv_multipart(client, 5000, "the 0.1 reply")
            check(reply == [C01, b"echo", b"echo:" + body[0], *body[1:]],
                  f"REQ client got {reply!r}")

        # Broker-to-worker HEARTBEAT is ["", MDPW01, 0x04] and comes about every 200 ms.
        command, rest = worker.receive(2000, "a HEARTBEAT from the broker")
        check(command == W01_HEARTBEAT and rest == [], f"expected HEARTBEAT, got {command!r} {rest!r}")
        worker.heartbeat()

        # A worker that says DISCONNECT is gone: the broker then answers its HEARTBEAT with
        # DISCONNECT (an unknown worker), and queues requests for the service.
        worker.disconnect()
        broker.wait_stats(lambda s: s["workers"] == 0, "the worker's DISCONNECT")
        while worker.socket.poll(0):
            worker.socket.recv_multipart()
        worker.heartbeat()
        while True:
            command, rest = worker.receive(2000, "DISCONNECT for an unknown worker's HEARTBEAT")
            if command != W01_HEARTBEAT:
                break
        check(command == W01_DISCONNECT and rest == [], f"expected DISCONNECT, got {command!r}")

        # A second worker (zguide style: new socket, new identity) gets the waiting request.
        client_request_v01(client, "echo", b"late")
        broker.wait_stats(lambda s: s["services"]["echo"]["queued"] == 1, "the queued request")
        second = Worker(context, broker.endpoint, "echo", version=1)
        second.ready()
        address, request = second.receive_request()
        check(request == [b"late"], f"second worker got {request!r}")
        second.reply(address, b"LATE")
        check(recv_multipart(client, 5000, "the late reply") == [C01, b"echo", b"LATE"],
              "wrong late reply")

        stats = broker.broker_stats()
        check(stats["protocol_errors"] == 0, f"protocol errors: {stats}")
        check(stats["replies"] == 6 and stats["requests"] == 6, f"counts: {stats}")
        check(stats["disconnects_sent"] == 1, f"disconnects_sent: {stats}")
        for socket in (client, worker.socket, second.socket):
            socket.close(linger=0)


if __name__ == "__main__":
    raise SystemExit(run(test))

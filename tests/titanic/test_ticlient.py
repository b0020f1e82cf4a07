"""The zguide's Titanic client (ticlient), written against 9/TSP with plain pyzmq, works with
zd-titanic unchanged: store a request, poll for its reply (300 while pending, then 200 with
the body), close it; unknown UUIDs are answered 400 (reply) and 200 (close).

    TitanicClient (REQ, MDP/0.1) --> zd-broker <-- zd-titanic (titanic.request/reply/close)
                                         ^              | dispatches stored requests
    zd-worker --echo "echo" -------------+--------------+

Usage: test_ticlient.py ZD_BROKER ZD_TITANIC ZD_WORKER
"""

import tempfile

import zmq

from titanictest import (C02, C02_FINAL, C02_REQUEST, UUID, EchoWorker, Titanic, TitanicClient,
                         check, new_socket, recv_multipart, run, start_broker)


def test(context, broker_path, titanic_path, worker_path):
    with tempfile.TemporaryDirectory(prefix="zd-titanic-") as directory, \
            start_broker(broker_path) as broker, \
            Titanic(titanic_path, directory, broker.endpoint) as titanic:
        client = TitanicClient(context, broker.endpoint)

        # 1. Store a request for a service nobody serves yet: 200 + UUID, then 300 (pending).
        uuid = client.request("echo", "Hello world")
        check(client.call("titanic.reply", uuid) == [b"300"], "a pending request must be 300")

        # 2. A worker appears: Titanic dispatches the stored request, the reply is stored.
        with EchoWorker(worker_path, context, broker):
            check(client.wait_reply(uuid) == [b"Hello world"], "wrong reply body")
            # titanic.reply does not delete a delivered reply (9/TSP): ask again.
            check(client.call("titanic.reply", uuid) == [b"200", b"Hello world"],
                  "a second titanic.reply must give the same answer")
            # Upper case is the same UUID (the RFC allows both cases).
            check(client.call("titanic.reply", uuid.upper()) == [b"200", b"Hello world"],
                  "an upper-case UUID must find the same reply")

            # 3. Close: 200; afterwards the UUID is unknown (400); close again is 200.
            check(client.call("titanic.close", uuid) == [b"200"], "close must answer 200")
            check(client.call("titanic.reply", uuid) == [b"400"], "a closed UUID must be 400")
            check(client.call("titanic.close", uuid) == [b"200"], "close is idempotent")

            # 4. Unknown UUIDs.
            unknown = b"0123456789abcdef0123456789abcdef"
            check(client.call("titanic.reply", unknown) == [b"400"], "unknown UUID must be 400")
            check(client.call("titanic.close", unknown) == [b"200"],
                  "close of an unknown UUID must be 200 (9/TSP)")

            # 5. Frame boundaries and bytes are kept exactly, empty frames included.
            body = [b"a", b"\x00\xff\x01", b"", b"x" * 100000]
            uuid2 = client.request("echo", *body)
            check(client.wait_reply(uuid2) == body, "a multi-frame body came back changed")

            # 6. An MDP/0.2 client (DEALER) gets the same service.
            dealer = new_socket(context, zmq.DEALER, broker.endpoint)
            dealer.send_multipart([C02, C02_REQUEST, b"titanic.request", b"echo", b"v0.2"])
            reply = recv_multipart(dealer, 5000, "a 0.2 FINAL from titanic.request")
            check(len(reply) == 5 and reply[:3] == [C02, C02_FINAL, b"titanic.request"] and
                  reply[3] == b"200" and UUID.match(reply[4]), f"bad 0.2 answer {reply!r}")
            check(client.wait_reply(reply[4]) == [b"v0.2"], "wrong reply for the 0.2 request")
            dealer.close(linger=0)

            # 7. Many requests at once, each reply its own.
            uuids = {client.request("echo", f"request-{i}"): f"request-{i}".encode()
                     for i in range(50)}
            for each, expected in uuids.items():
                check(client.wait_reply(each) == [expected], f"wrong reply for {expected!r}")
                check(client.call("titanic.close", each) == [b"200"], "close must answer 200")

        stats = titanic.stats()["titanic"]
        check(stats["stored"] == 53 and stats["replies_stored"] == 53,
              f"expected 53 requests stored and replied: {stats}")
        check(stats["commits"] >= 1 and stats["closed"] == 51, f"odd counters: {stats}")
        check(stats["replied"] == 2 and stats["pending"] == 0,
              f"two unclosed replies, nothing pending expected: {stats}")
        check(titanic.stop() == 0, "zd-titanic must exit 0 on SIGTERM")
        client.close()


if __name__ == "__main__":
    raise SystemExit(run(test))

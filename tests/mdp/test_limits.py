"""zd-broker's limits, counted in STATS and logged (MDP cannot tell a client its request was
refused, so the broker's stderr does: the first refusal of a service at once, naming the flag):
  --max-queue-bytes 1000
                     three requests of 100 bytes (324 bytes each as the broker counts them)
                     wait; a fourth is refused (rejected 1); the log names --max-queue-bytes
  --max-queue 3      a 4th and 5th queued request for one service are refused (rejected 2);
                     one log line names --max-queue (the 5th is held back for the next one)
  --max-services 3   a request for a 4th service is refused; READY for one gets DISCONNECT
  --request-timeout 300, --service-ttl 300
                     queued requests expire; the services they created are forgotten, and
                     there is room for new ones again
  --max-frames 20    a request of 20 frames (as the broker receives it, routing id first) is
                     served; one of 21 frames, and one of 100 000 empty frames, are dropped
                     and counted; a worker that sends one is disconnected

Usage: test_limits.py PATH/TO/zd-broker
"""

import zmq

from mdptest import (C02, C02_FINAL, W01_DISCONNECT, W02_DISCONNECT, W02_FINAL, Broker, Worker,
                     check, client_request_v02, new_socket, recv_multipart, run)


def frame_limit(context, broker_path):
    with Broker(broker_path, "--max-frames", "20") as broker:
        worker = Worker(context, broker.endpoint, "echo", version=2)
        worker.ready()
        broker.wait_stats(lambda s: s["workers"] == 1, "the worker's READY")
        client = new_socket(context, zmq.DEALER, broker.endpoint)
        # routing id + MDPC02 + 0x01 + service = 4 frames, so 16 body frames make 20.
        longest = [f"{i}" for i in range(16)]
        client_request_v02(client, "echo", *longest)
        address, body = worker.receive_request(2000)
        check(body == [frame.encode() for frame in longest], f"worker got {body!r}")
        worker.reply(address, b"20 frames ok")
        reply = recv_multipart(client, 2000, "the reply to 20 frames")
        check(reply == [C02, C02_FINAL, b"echo", b"20 frames ok"], f"got {reply!r}")

        client_request_v02(client, "echo", *longest, "one too many")
        client.send_multipart([b""] * 100000)
        stats = broker.wait_stats(lambda s: s["protocol_errors"] == 2, "two dropped messages")
        check(stats["requests"] == 1, f"a dropped message counted as a request: {stats}")
        check(not worker.socket.poll(100), "a message over --max-frames was dispatched")

        # The broker still serves; a worker that sends a long message is disconnected.
        client_request_v02(client, "echo", "after")
        address, body = worker.receive_request(2000)
        check(body == [b"after"], f"worker got {body!r}")
        worker.send_command(W02_FINAL, address, b"", *([b"x"] * 30))
        command, rest = worker.receive(2000, "DISCONNECT after a reply over --max-frames")
        check((command, rest) == (W02_DISCONNECT, []), f"expected DISCONNECT, got {command!r}")
        stats = broker.wait_stats(lambda s: s["workers"] == 0, "the long-winded worker removed")
        check(stats["protocol_errors"] == 3, f"protocol errors: {stats}")
        check(stats["services"]["echo"]["queued"] == 1, f"its request went back: {stats}")
        client.close(linger=0)
        worker.close()


def refusal_lines(broker, service):
    """The broker's log lines about refused requests for service (after it stopped)."""
    return [line for line in broker.stderr_text.splitlines()
            if line.startswith(f'zd-broker: service "{service}": refused ')]


def byte_limit(context, broker_path):
    with Broker(broker_path, "--max-queue-bytes", "1000") as broker:
        client = new_socket(context, zmq.DEALER, broker.endpoint)
        body = b"x" * 100
        for index in range(4):
            client_request_v02(client, "bytes", body)
        stats = broker.wait_stats(lambda s: s["requests"] == 4, "four requests")
        service = stats["services"]["bytes"]
        check(service["queued"] == 3 and service["queued_bytes"] == 3 * 324,
              f"queued: {stats}")
        check(service["rejected"] == 1 and stats["rejected"] == 1, f"rejected: {stats}")

        worker = Worker(context, broker.endpoint, "bytes", version=2)
        worker.ready()
        for index in range(3):
            address, got = worker.receive_request(2000)
            check(got == [body], f"request {index}: worker got {got!r}")
            worker.reply(address, b"ok")
            reply = recv_multipart(client, 2000, f"reply {index}")
            check(reply == [C02, C02_FINAL, b"bytes", b"ok"], f"got {reply!r}")
        stats = broker.wait_stats(lambda s: s["replies"] == 3, "three replies")
        check(stats["services"]["bytes"]["queued_bytes"] == 0, f"bytes left: {stats}")
        client.close(linger=0)
        worker.close()
    lines = refusal_lines(broker, "bytes")
    check(len(lines) == 1 and "refused 1 request " in lines[0]
          and "holds 972 bytes in 3 requests (--max-queue-bytes 1000)" in lines[0]
          and "Raise --max-queue-bytes" in lines[0], f"log: {broker.stderr_text!r}")


def test(context, broker_path):
    frame_limit(context, broker_path)
    byte_limit(context, broker_path)
    with Broker(broker_path, "--max-queue", "3", "--max-services", "3", "--request-timeout",
                "300", "--service-ttl", "300", "--heartbeat-interval", "1000",
                "--heartbeat-liveness", "10") as broker:
        client = new_socket(context, zmq.DEALER, broker.endpoint)

        # --max-queue: five requests, no worker; three wait, two are refused.
        for index in range(5):
            client_request_v02(client, "svc", f"{index}")
        stats = broker.wait_stats(lambda s: s["requests"] == 5, "five requests")
        check(stats["rejected"] == 2, f"rejected: {stats}")
        check(stats["services"]["svc"]["queued"] == 3, f"queued: {stats}")
        check(stats["services"]["svc"]["rejected"] == 2, f"service rejected: {stats}")

        # A worker now serves the three that waited, in order, and nothing else.
        worker = Worker(context, broker.endpoint, "svc", version=1)
        worker.ready()
        for index in range(3):
            address, body = worker.receive_request(2000)
            check(body == [f"{index}".encode()], f"request {index}: worker got {body!r}")
            worker.reply(address, b"ok " + body[0])
            reply = recv_multipart(client, 2000, f"reply {index}")
            check(reply == [C02, C02_FINAL, b"svc", b"ok " + body[0]], f"got {reply!r}")
        check(not worker.socket.poll(100), "a refused request was dispatched")

        # --max-services 3: svc (has a worker), s2, s3; then s4 is refused.
        client_request_v02(client, "s2", "x")
        client_request_v02(client, "s3", "x")
        client_request_v02(client, "s4", "x")
        stats = broker.wait_stats(lambda s: s["requests"] == 8, "three more requests")
        check(stats["services_known"] == 3, f"services_known: {stats}")
        check("s4" not in stats["services"] and stats["rejected"] == 3, f"stats: {stats}")
        refused = Worker(context, broker.endpoint, "s5", version=1)
        refused.ready()
        command, rest = refused.receive(2000, "DISCONNECT for a READY past --max-services")
        check((command, rest) == (W01_DISCONNECT, []), f"expected DISCONNECT, got {command!r}")

        # --request-timeout 300: s2's and s3's requests expire; --service-ttl 300: then the
        # services are forgotten, and a new name is accepted again.
        stats = broker.wait_stats(lambda s: s["expired"] == 2 and s["services_known"] == 1,
                                  "expiry and forgetting of s2 and s3")
        check(list(stats["services"]) == ["svc"], f"services left: {stats}")
        check(stats["clients"] == 0, f"clients: {stats}")
        client_request_v02(client, "s6", "x")
        stats = broker.wait_stats(lambda s: s["requests"] == 9, "the request for s6")
        check(stats["services"]["s6"]["queued"] == 1 and stats["rejected"] == 3,
              f"s6 should be accepted: {stats}")
        check(stats["disconnects_sent"] == 1 and stats["protocol_errors"] == 0, f"stats: {stats}")
        for socket in (client, worker.socket, refused.socket):
            socket.close(linger=0)
    # One line at the first refusal; the second one waits for the next report, 10 s later
    # (a line "refused 1 more request" if this test ran that long).
    lines = refusal_lines(broker, "svc")
    check(lines and "refused 1 request " in lines[0]
          and "holds 3 requests (--max-queue 3). Raise --max-queue," in lines[0]
          and all(" more request" in line for line in lines[1:]), f"log: {broker.stderr_text!r}")
    lines = refusal_lines(broker, "s4")
    check(len(lines) == 1 and "(--max-services 3)" in lines[0], f"log: {broker.stderr_text!r}")


if __name__ == "__main__":
    raise SystemExit(run(test))

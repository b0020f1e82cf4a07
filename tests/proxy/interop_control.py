"""The control protocol spoken by plain pyzmq sockets, against zd-queue.

    REQ client "client-1" ---> ROUTER [zd-queue] DEALER ---> REP worker
    REQ / DEALER controller --> ROUTER (control)

STATISTICS must give libzmq's eight native-endian uint64 frames with exact counts, STATS a
JSON object json.loads accepts, PAUSE/RESUME/TERMINATE one empty frame each, and TERMINATE
must end the process with exit code 0.

Usage: test_control.py PATH/TO/zd-queue
"""

import json
import struct
import os
import sys

import zmq

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from zdinterop import Device, check, new_socket, recv_multipart, run

TIMEOUT_MS = 5000
QUIET_MS = 300
CLIENT_ID = b"client-1"  # a fixed routing id makes the byte counts exact
REQUESTS = 7


def ask(control, command):
    control.send(command)
    return recv_multipart(control, TIMEOUT_MS, f"the reply to {command.decode()}")


def statistics(control):
    reply = ask(control, b"STATISTICS")
    check(len(reply) == 8, f"STATISTICS replied {len(reply)} frames, expected 8: {reply!r}")
    check(all(len(frame) == 8 for frame in reply),
          f"STATISTICS frames must be 8-byte integers, got sizes {[len(f) for f in reply]}")
    return [struct.unpack("=Q", frame)[0] for frame in reply]  # native byte order, as libzmq


def stats(control):
    reply = ask(control, b"STATS")
    check(len(reply) == 1, f"STATS replied {len(reply)} frames, expected 1")
    try:
        return json.loads(reply[0])
    except ValueError as error:
        check(False, f"STATS is not valid JSON ({error}): {reply[0]!r}")


def round_trip(client, worker, body):
    client.send(body)
    request = recv_multipart(worker, TIMEOUT_MS, f"request {body!r} at the worker")
    worker.send(b"reply:" + request[0])
    return recv_multipart(client, TIMEOUT_MS, f"the reply to {body!r}")


def test(context, queue_path):
    with Device(queue_path, "-f", "@tcp://127.0.0.1:*", "-b", "@tcp://127.0.0.1:*",
                "--control", "@tcp://127.0.0.1:*") as queue:
        control = new_socket(context, zmq.REQ, queue.address("control"))
        check(statistics(control) == [0] * 8, "a fresh device must report zero traffic")

        worker = new_socket(context, zmq.REP, queue.address("backend"))
        client = new_socket(context, zmq.REQ, queue.address("frontend"), routing_id=CLIENT_ID)
        request_bytes = reply_bytes = 0
        for number in range(1, REQUESTS + 1):
            body = b"x" * number
            check(round_trip(client, worker, body) == [b"reply:" + body],
                  f"wrong reply to {body!r}")
            # What passes the device: routing id, REQ's empty delimiter, body.
            request_bytes += len(CLIENT_ID) + len(body)
            reply_bytes += len(CLIENT_ID) + len(b"reply:") + len(body)

        expected = [REQUESTS, request_bytes, REQUESTS, reply_bytes,   # frontend in, out
                    REQUESTS, reply_bytes, REQUESTS, request_bytes]   # backend in, out
        check(statistics(control) == expected,
              f"STATISTICS: expected {expected}, got {statistics(control)}")

        report = stats(control)
        check(report.get("device") == "zd-queue", f"STATS device: {report.get('device')!r}")
        check(report.get("pid") == queue.process.pid,
              f"STATS pid {report.get('pid')} is not the device's {queue.process.pid}")
        check(isinstance(report.get("version"), str) and report["version"],
              "STATS has no version")
        check(isinstance(report.get("uptime_ms"), int) and report["uptime_ms"] >= 0,
              f"STATS uptime_ms: {report.get('uptime_ms')!r}")
        check(report.get("state") == "running", f"STATS state: {report.get('state')!r}")
        check(report.get("frontend") == {"type": "ROUTER",
                                         "endpoints": ["@" + queue.address("frontend")]},
              f"STATS frontend: {report.get('frontend')!r}")
        check(report.get("backend") == {"type": "DEALER",
                                        "endpoints": ["@" + queue.address("backend")]},
              f"STATS backend: {report.get('backend')!r}")
        check(report.get("control") == ["@" + queue.address("control")],
              f"STATS control: {report.get('control')!r}")
        check(report.get("capture") == {"endpoints": [], "messages": 0, "dropped_messages": 0},
              f"STATS capture: {report.get('capture')!r}")
        check(report.get("frontend_to_backend") == {
            "received_messages": REQUESTS, "received_bytes": request_bytes,
            "sent_messages": REQUESTS, "sent_bytes": request_bytes, "dropped_messages": 0},
            f"STATS frontend_to_backend: {report.get('frontend_to_backend')!r}")
        check(report.get("backend_to_frontend") == {
            "received_messages": REQUESTS, "received_bytes": reply_bytes,
            "sent_messages": REQUESTS, "sent_bytes": reply_bytes, "dropped_messages": 0},
            f"STATS backend_to_frontend: {report.get('backend_to_frontend')!r}")

        # PAUSE stops the traffic (the request waits in the queue), RESUME lets it through.
        check(ask(control, b"PAUSE") == [b""], "PAUSE must be answered with one empty frame")
        check(stats(control).get("state") == "paused", "STATS must say paused after PAUSE")
        client.send(b"while paused")
        check(not worker.poll(QUIET_MS), "a request passed the device while it was paused")
        check(ask(control, b"RESUME") == [b""], "RESUME must be answered with one empty frame")
        request = recv_multipart(worker, TIMEOUT_MS, "the request held during the pause")
        check(request == [b"while paused"], f"the held request arrived as {request!r}")
        worker.send(b"reply:" + request[0])
        check(recv_multipart(client, TIMEOUT_MS, "the reply after RESUME") ==
              [b"reply:while paused"], "wrong reply after RESUME")
        check(stats(control).get("state") == "running", "STATS must say running after RESUME")

        unknown = ask(control, b"HELLO")
        check(len(unknown) == 1 and unknown[0].startswith(b"ERROR unknown command 'HELLO'"),
              f"an unknown command must get an ERROR reply, got {unknown!r}")

        # A DEALER controller sends no delimiter and gets the bare reply frames.
        dealer = new_socket(context, zmq.DEALER, queue.address("control"))
        dealer.send(b"STATISTICS")
        frames = recv_multipart(dealer, TIMEOUT_MS, "STATISTICS over DEALER")
        counts = [struct.unpack("=Q", frame)[0] for frame in frames]
        check(counts[0] == REQUESTS + 1 and len(counts) == 8,
              f"STATISTICS over DEALER: {counts}")

        check(ask(control, b"TERMINATE") == [b""],
              "TERMINATE must be answered with one empty frame")
        code = queue.wait(5)
        check(code is not None, "zd-queue still runs 5 s after TERMINATE")
        check(code == 0, f"zd-queue exited {code} after TERMINATE, expected 0")


if __name__ == "__main__":
    sys.exit(run(test))

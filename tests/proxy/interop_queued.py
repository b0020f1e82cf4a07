"""What is waiting, per side, in STATS: a streamer whose consumer stops reading shows the
message it holds for the backend ("parked" on the libzmq engine, "queued_messages" and
"queued_bytes" on the native one), and nothing once the consumer has read everything.

    pyzmq PUSH --> [frontend] zd-streamer --hwm 10 [backend] --> pyzmq PULL, RCVHWM 1,
                                                                 not reading until drained

Usage: interop_queued.py ZD_STREAMER
"""

import os
import sys
import time

import zmq

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from zdinterop import ENGINES, check, check_engine, engine_device, new_socket, run  # noqa: E402

TCP = "@tcp://127.0.0.1:*"
PAYLOAD = b"x" * 65536  # large, so the kernel's buffers fill after a few hundred
DEADLINE_S = 8


def waiting(queued, engine):
    """How much the engine says it holds for the backend."""
    backend = queued["backend"]
    return backend["parked"] if engine == "libzmq" else backend["queued_messages"]


def check_shape(queued, engine):
    for side in ("frontend", "backend"):
        members = set(queued[side])
        expected = {"parked"} if engine == "libzmq" else {"queued_messages", "queued_bytes"}
        check(members == expected, f"{engine} queued.{side} has {members}, not {expected}")


def test_engine(context, streamer, engine):
    with engine_device(streamer, engine, "-f", TCP, "-b", TCP, "--hwm", "10") as device:
        check_engine(device, engine)
        queued = device.stats()["queued"]
        check_shape(queued, engine)
        check(waiting(queued, engine) == 0, f"{engine}: something waits before any traffic")
        consumer = new_socket(context, zmq.PULL, device.address("backend"), rcvhwm=1)
        producer = new_socket(context, zmq.PUSH, device.address("frontend"), sndhwm=10)
        device.wait_stats(lambda p: p["frontend"]["connected"] == 1 and
                          p["backend"]["connected"] == 1, "both peers", section="peers")

        # The burst: as much as the producer takes without blocking, until the device says
        # it holds something for the consumer that does not read.
        sent = 0
        deadline = time.monotonic() + DEADLINE_S
        while True:
            try:
                while True:
                    producer.send(PAYLOAD, zmq.NOBLOCK)
                    sent += 1
            except zmq.Again:
                pass
            queued = device.stats()["queued"]
            if waiting(queued, engine) > 0:
                break
            check(time.monotonic() < deadline,
                  f"{engine}: nothing waiting for the backend after {sent} messages: {queued}")
        if engine == "native":  # what is left of them: the kernel may have taken a part
            check(queued["backend"]["queued_bytes"] > 0, f"native: queued bytes {queued}")

        # The consumer drains: every message arrives, and nothing waits any more.
        received = 0
        while True:
            while consumer.poll(0):
                consumer.recv(zmq.NOBLOCK)
                received += 1
            if received == sent:
                queued = device.stats()["queued"]
                if waiting(queued, engine) == 0:
                    break
            check(time.monotonic() < deadline + DEADLINE_S,
                  f"{engine}: {received} of {sent} received; queued {queued}")
            consumer.poll(20)
        check(queued["frontend"] == ({"parked": 0} if engine == "libzmq" else
                                     {"queued_messages": 0, "queued_bytes": 0}),
              f"{engine}: frontend queued {queued['frontend']}")
        producer.close(linger=0)
        consumer.close(linger=0)


def test(context, streamer):
    for engine in ENGINES:
        test_engine(context, streamer, engine)


if __name__ == "__main__":
    sys.exit(run(test))

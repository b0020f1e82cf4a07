"""Drops become "dropped" events on --events, at most one per second per side, none lost:
a zd-queue worker answers clients that do not exist, the queue's frontend drops those
replies, and a pyzmq SUB on the events sees each burst's count and the running total;
drops made just before TERMINATE come in a final event, before "stopping". Both engines.

    pyzmq SUB --> [events PUB] zd-queue [backend] <-- pyzmq DEALER "worker" sending replies
                                                      to routing ids nobody has

Usage: interop_drop_events.py ZD_QUEUE
"""

import json
import os
import sys
import time

import zmq

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from zdinterop import ENGINES, check, check_engine, engine_device, new_socket, recv_multipart, run  # noqa: E402,E501
from zdevents import control, subscribe  # noqa: E402

TCP = "@tcp://127.0.0.1:*"
INTERVAL_S = 1.0
SLACK_S = 0.15  # the device's clock started before ours saw the event: allow for delivery


def next_event(sub, kind, what):
    """The next event of kind (a "paused" from the probe may still be on its way)."""
    while True:
        frames = recv_multipart(sub, 5000, what)
        event = json.loads(frames[1])
        if frames[0] == kind:
            return event, time.monotonic()
        check(frames[0] == b"paused", f"{what}: unexpected event {frames[0]!r} {event}")


def drop_replies(worker, count):
    for i in range(count):
        worker.send_multipart([b"nobody-%d" % i, b"", b"reply to nobody"])


def dropped_total(device):
    return device.stats()["backend_to_frontend"]["dropped_messages"]


def test_engine(context, queue, engine):
    with engine_device(queue, engine, "-f", TCP, "-b", TCP, "--events", TCP) as device:
        check_engine(device, engine)
        sub = subscribe(context, device, b"dropped", b"stopping")
        worker = new_socket(context, zmq.DEALER, device.address("backend"))
        device.wait_stats(lambda p: p["backend"]["connected"] == 1, "the worker", section="peers")

        drop_replies(worker, 1)
        first, first_at = next_event(sub, b"dropped", "the first drop's event")
        check(first["side"] == "frontend" and first["dropped"] == 1 and first["total"] == 1,
              f"{engine}: first event {first}")
        check(first["device"] == "zd-queue", f"{engine}: {first}")

        # Four more at once: within the second, so they wait and come together, once.
        drop_replies(worker, 4)
        device.wait_stats(lambda s: s["backend_to_frontend"]["dropped_messages"] == 5,
                          "five drops counted")
        second, second_at = next_event(sub, b"dropped", "the accumulated drops' event")
        check(second["side"] == "frontend" and second["dropped"] == 4 and second["total"] == 5,
              f"{engine}: second event {second}")
        check(second_at - first_at >= INTERVAL_S - SLACK_S,
              f"{engine}: two events {second_at - first_at:.3f} s apart")

        # Three more, then TERMINATE before their second is up: the final event has them.
        drop_replies(worker, 3)
        device.wait_stats(lambda s: s["backend_to_frontend"]["dropped_messages"] == 8,
                          "eight drops counted")
        control(device, b"TERMINATE")
        final, final_at = next_event(sub, b"dropped", "the final event at stop")
        check(final["dropped"] == 3 and final["total"] == 8, f"{engine}: final event {final}")
        check(final_at - second_at < INTERVAL_S,
              f"{engine}: the final event came {final_at - second_at:.3f} s after the last, "
              "so it was not the one made at stop")
        next_event(sub, b"stopping", "stopping, after the final drops")
        check(device.wait(5) == 0, f"{engine}: zd-queue did not exit 0 after TERMINATE")
        worker.close(linger=0)
        sub.close(linger=0)


def test(context, queue):
    for engine in ENGINES:
        test_engine(context, queue, engine)


if __name__ == "__main__":
    sys.exit(run(test))

"""A forwarder's subscriptions, on both engines and with the last-value cache: STATS counts
the distinct topics downstream subscribers want, SUBSCRIPTIONS (and `zd-ctl subscriptions`)
lists them, binary bytes escaped.

    pyzmq SUB one: alpha, shared, marker  \\
                                           --> [backend XPUB] zd-forwarder [frontend XSUB]
    pyzmq SUB two: b\\xff\\x00bin, shared   /

A cancellation that changes no count is made visible by a later subscription on the same
connection (the "marker"): the forwarder reads a connection's messages in order.

Usage: interop_subscriptions.py ZD_FORWARDER ZD_CTL
"""

import json
import os
import subprocess
import sys

import zmq

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from zdinterop import ENGINES, check, check_engine, engine_device, new_socket, recv_multipart, run  # noqa: E402,E501

TCP = "@tcp://127.0.0.1:*"
BINARY = b"b\xff\x00bin"


def subscriptions(device):
    """The SUBSCRIPTIONS answer, asked on a fresh REQ socket."""
    socket = new_socket(zmq.Context.instance(), zmq.REQ, device.address("control"))
    try:
        socket.send(b"SUBSCRIPTIONS")
        reply = recv_multipart(socket, 5000, "the SUBSCRIPTIONS answer")
    finally:
        socket.close(linger=0)
    check(len(reply) == 1, f"SUBSCRIPTIONS answered {reply}")
    return json.loads(reply[0])


def topics(answer):
    return sorted(topic.encode("latin-1") for topic in answer["topics"])


def wait_count(device, count, what):
    return device.wait_stats(lambda s: s["count"] == count, what, section="subscriptions")


def scenario(context, device, zd_ctl, label):
    check(device.stats()["subscriptions"] == {"count": 0, "refused": 0, "max": 1000000},
          f"{label}: subscriptions before any subscriber: {device.stats()['subscriptions']}")
    one = new_socket(context, zmq.SUB, device.address("backend"))
    two = new_socket(context, zmq.SUB, device.address("backend"))
    for topic in (b"alpha", b"shared"):
        one.setsockopt(zmq.SUBSCRIBE, topic)
    for topic in (BINARY, b"shared"):
        two.setsockopt(zmq.SUBSCRIBE, topic)
    wait_count(device, 3, f"{label}: three topics, one of them twice")
    answer = subscriptions(device)
    check(answer["count"] == 3 and answer["topics_not_listed"] == 0, f"{label}: {answer}")
    check(topics(answer) == sorted([b"alpha", b"shared", BINARY]), f"{label}: topics {answer}")

    # zd-ctl asks the same.
    result = subprocess.run([zd_ctl, device.address("control"), "subscriptions"],
                            capture_output=True, timeout=10)
    check(result.returncode == 0, f"{label}: zd-ctl subscriptions: {result}")
    check(json.loads(result.stdout) == answer, f"{label}: zd-ctl printed {result.stdout!r}")

    one.setsockopt(zmq.UNSUBSCRIBE, b"shared")  # two still wants it
    one.setsockopt(zmq.SUBSCRIBE, b"marker")
    wait_count(device, 4, f"{label}: the marker after one's cancellation of shared")
    check(b"shared" in topics(subscriptions(device)), f"{label}: shared gone with a subscriber")
    two.setsockopt(zmq.UNSUBSCRIBE, b"shared")  # the last one
    one.setsockopt(zmq.UNSUBSCRIBE, b"marker")
    wait_count(device, 2, f"{label}: shared and the marker cancelled")
    check(topics(subscriptions(device)) == sorted([b"alpha", BINARY]), f"{label}: topics")
    one.close(linger=0)
    two.close(linger=0)
    wait_count(device, 0, f"{label}: both subscribers gone")


def test(context, forwarder, zd_ctl):
    for engine in ENGINES:
        with engine_device(forwarder, engine, "-f", TCP, "-b", TCP) as device:
            check_engine(device, engine)
            scenario(context, device, zd_ctl, engine)
    # The cache subscribes upstream to everything; the count is still the subscribers'.
    with engine_device(forwarder, "libzmq", "-f", TCP, "-b", TCP,
                       "--last-value-cache") as device:
        scenario(context, device, zd_ctl, "libzmq --last-value-cache")


if __name__ == "__main__":
    sys.exit(run(test))

"""Forwarders chained in a tree of depth 3, on both engines: subscriptions travel upstream
hop by hop, a subscriber three hops away receives exactly the topics it asked for and
nothing else, and its subscriptions are withdrawn up to the root when it leaves.

    pyzmq PUB --> F1 --+--> F2a --> F3 --> SUB "a.x"      (three hops)
                       |
                       +--> F2b ------> SUB "b"          (two hops)

Every forwarder binds its backend on a wildcard port; F2a, F2b and F3 connect their
frontends to their parent's backend (the chain is wired from the ready lines).

Usage: interop_forwarder_tree.py ZD_FORWARDER
"""

import os
import sys
import time

import zmq

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from zdinterop import (ENGINES, TestFailure, check, check_engine, engine_device,  # noqa: E402
                       new_socket, recv_multipart, run)
from zdtree import subscribed_topics, wait_topics  # noqa: E402

TCP = "@tcp://127.0.0.1:*"
TIMEOUT_MS = 5000
MESSAGES = 200  # per topic


def child(forwarder, engine, parent, *extra):
    """A forwarder whose frontend connects to parent's backend."""
    return engine_device(forwarder, engine, "-f", ">" + parent.address("backend"), "-b", TCP,
                         *extra)


def synchronise(publisher, subscriber, topic):
    """Publishes topic + ".probe" until subscriber gets one: the subscription has then reached
    the publisher through every hop. Returns how many probes were sent."""
    deadline = time.monotonic() + 5
    sent = 0
    while time.monotonic() < deadline:
        publisher.send_multipart([topic + b".probe", b""])
        sent += 1
        if subscriber.poll(20):
            return sent
    raise TestFailure(f"no {topic!r} probe reached its subscriber within 5 s")


def collect_until(subscriber, end, what):
    """Every message up to end (a topic), probes left out."""
    got = []
    while True:
        message = recv_multipart(subscriber, TIMEOUT_MS, what)
        if message[0] == end:
            return got
        if not message[0].endswith(b".probe"):
            got.append(message)


def scenario(context, forwarder, engine):
    with engine_device(forwarder, engine, "-f", TCP, "-b", TCP) as f1, \
            child(forwarder, engine, f1) as f2a, child(forwarder, engine, f1) as f2b, \
            child(forwarder, engine, f2a) as f3:
        for hop in (f1, f2a, f2b, f3):
            check_engine(hop, engine)
        publisher = new_socket(context, zmq.PUB, f1.address("frontend"))
        far = new_socket(context, zmq.SUB, f3.address("backend"), subscribe=b"a.x")
        near = new_socket(context, zmq.SUB, f2b.address("backend"), subscribe=b"b")

        # The root sees what the whole tree wants, and each hop what its own subtree wants.
        wait_topics(context, f1, {b"a.x", b"b"}, f"{engine}: the root's topics")
        check(subscribed_topics(context, f2a) == {b"a.x"}, f"{engine}: F2a's topics")
        check(subscribed_topics(context, f2b) == {b"b"}, f"{engine}: F2b's topics")
        check(subscribed_topics(context, f3) == {b"a.x"}, f"{engine}: F3's topics")
        synchronise(publisher, far, b"a.x")
        synchronise(publisher, near, b"b")

        for i in range(MESSAGES):
            for topic in (b"a.x", b"a.xyz", b"a.y", b"b", b"c", b""):
                publisher.send_multipart([topic, str(i).encode()])
        publisher.send_multipart([b"a.x.end", b""])
        publisher.send_multipart([b"b.end", b""])

        # Prefix matching: "a.xyz" starts with "a.x" and is wanted; "a.y", "b", "c" are not.
        expected = [[topic, str(i).encode()] for i in range(MESSAGES) for topic in (b"a.x", b"a.xyz")]
        got = collect_until(far, b"a.x.end", f"{engine}: the far subscriber's end marker")
        check(got == expected, f"{engine}: three hops away got {len(got)} messages, expected "
              f"{len(expected)} in order; first differences: "
              f"{[g for g, e in zip(got, expected) if g != e][:3]} / extra {got[len(expected):][:3]}")
        expected = [[b"b", str(i).encode()] for i in range(MESSAGES)]
        got = collect_until(near, b"b.end", f"{engine}: the near subscriber's end marker")
        check(got == expected, f"{engine}: two hops away got {len(got)} messages, expected "
              f"{len(expected)} in order")

        # The far subscriber leaves: its topic is withdrawn at every hop up to the root.
        far.close(linger=0)
        wait_topics(context, f3, set(), f"{engine}: F3 after its subscriber left")
        wait_topics(context, f2a, set(), f"{engine}: F2a after the far subscriber left")
        wait_topics(context, f1, {b"b"}, f"{engine}: the root after the far subscriber left")
        near.close(linger=0)
        wait_topics(context, f1, set(), f"{engine}: the root after both subscribers left")
        for hop in (f3, f2b, f2a, f1):
            check(hop.stop() == 0, f"{engine}: a forwarder did not exit 0 on SIGTERM")


def test(context, forwarder):
    for engine in ENGINES:
        scenario(context, forwarder, engine)


if __name__ == "__main__":
    sys.exit(run(test))

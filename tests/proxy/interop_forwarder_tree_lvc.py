"""The last-value cache across three chained forwarders: a subscriber that joins late, three
hops from the publisher, gets the latest value of its topic exactly once, and nobody else
gets a copy. Three placements (docs/TOPOLOGIES.md, "Pub/sub trees"):

    PUB --> F1 --> F2 --> F3 --> SUB "t" (early), SUB "t.a" (late)

    every hop:     F1, F2, F3 with --last-value-cache (libzmq engine)
    root only:     F1 with the cache; F2, F3 plain, on each engine
    edge only:     F3 with the cache; F1, F2 plain, on each engine

Each check that "nothing else arrived" is made by an end marker published after the fact:
the next message must be the marker.

Usage: interop_forwarder_tree_lvc.py ZD_FORWARDER
"""

import os
import sys
import time

import zmq

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from zdinterop import ENGINES, check, engine_device, new_socket, recv_multipart, run  # noqa: E402,E501
from zdtree import wait_topics  # noqa: E402

TCP = "@tcp://127.0.0.1:*"
TIMEOUT_MS = 5000
CACHE = ("--last-value-cache", "--lvc-topic", "t")


def chain(forwarder, engines, caches):
    """Three forwarders, F1 binding both sides, each next one connecting to the previous one's
    backend; engines and caches name each hop's engine and whether it caches."""
    hops = []
    for engine, cache in zip(engines, caches):
        frontend = ">" + hops[-1].address("backend") if hops else TCP
        extra = CACHE if cache else ()
        hop = engine_device(forwarder, engine, "-f", frontend, "-b", TCP, *extra)
        hops.append(hop.__enter__())
    return hops


def fill_caches(publisher, hops, caches, early, label):
    """Publishes t.a = 1, then 2, and returns once every cache holds the 2."""
    if early:
        # The early subscriber's probe arrives once its subscription reached the publisher;
        # its end marker once every hop on the way has passed the values.
        deadline = time.monotonic() + 5
        while not early.poll(20):
            check(time.monotonic() < deadline, f"{label}: the early subscriber got nothing")
            publisher.send_multipart([b"t.probe", b""])
    else:
        # The root's cache subscribed upstream; it has t.probe once the publisher knows.
        deadline = time.monotonic() + 5
        while hops[0].stats()["last_value_cache"]["topics"] == 0:
            check(time.monotonic() < deadline, f"{label}: nothing reached the root's cache")
            publisher.send_multipart([b"t.probe", b""])
    for value in (b"1", b"2"):
        publisher.send_multipart([b"t.a", value])
    publisher.send_multipart([b"t.end", b""])
    if early:
        while recv_multipart(early, TIMEOUT_MS, f"{label}: t.end")[0] != b"t.end":
            pass
    else:
        hops[0].wait_stats(lambda s: s["topics"] == 3, f"{label}: t.probe, t.a, t.end cached",
                           section="last_value_cache")


def scenario(context, forwarder, label, engines, caches, early_subscriber):
    hops = chain(forwarder, engines, caches)
    try:
        f1, f3 = hops[0], hops[-1]
        publisher = new_socket(context, zmq.PUB, f1.address("frontend"))
        early = None
        if early_subscriber:
            early = new_socket(context, zmq.SUB, f3.address("backend"), subscribe=b"t")
        fill_caches(publisher, hops, caches, early, label)

        # The late subscriber also subscribes to "sync", which no cache covers, after "t.a":
        # once the root lists "sync", every hop has handled "t.a" (a connection's
        # subscriptions are handled in order), so any copy of the cached value a hop sent
        # is ahead of the marker in the same pipes.
        late = new_socket(context, zmq.SUB, f3.address("backend"), subscribe=b"t.a")
        late.setsockopt(zmq.SUBSCRIBE, b"sync")
        check(recv_multipart(late, TIMEOUT_MS, f"{label}: the cached value") == [b"t.a", b"2"],
              f"{label}: the late subscriber three hops away must get the latest value, 2")
        wait_topics(context, f1, lambda topics: b"sync" in topics, f"{label}: sync at the root")
        marker = [b"t.a.mark", b""]
        publisher.send_multipart(marker)
        for who, socket in (("late", late), ("early", early)):
            if socket:
                got = recv_multipart(socket, TIMEOUT_MS, f"{label}: the {who} one's marker")
                check(got == marker, f"{label}: the {who} subscriber got {got} before the marker")
        for hop in reversed(hops):
            check(hop.stop() == 0, f"{label}: a forwarder did not exit 0")
    finally:
        for hop in reversed(hops):
            hop.kill()


def test(context, forwarder):
    scenario(context, forwarder, "cache on every hop", ["libzmq"] * 3, [True] * 3, True)
    for engine in ENGINES:
        scenario(context, forwarder, f"cache at the root, {engine} hops",
                 ["libzmq", engine, engine], [True, False, False], False)
        scenario(context, forwarder, f"cache at the edge, {engine} hops",
                 [engine, engine, "libzmq"], [False, False, True], True)


if __name__ == "__main__":
    sys.exit(run(test))

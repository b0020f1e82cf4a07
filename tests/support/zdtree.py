"""Helpers for the tests of chained forwarders: a hop's SUBSCRIPTIONS as a set of topics, and
a wait for it to become a given set.
"""

import json
import time

import zmq

from zdinterop import TestFailure, check, new_socket, recv_multipart


def subscribed_topics(context, device):
    """The topics a forwarder's SUBSCRIPTIONS lists, as a set of bytes (asked on a fresh REQ)."""
    socket = new_socket(context, zmq.REQ, device.address("control"))
    try:
        socket.send(b"SUBSCRIPTIONS")
        reply = recv_multipart(socket, 5000, "the SUBSCRIPTIONS answer")
    finally:
        socket.close(linger=0)
    check(len(reply) == 1, f"SUBSCRIPTIONS answered {reply}")
    answer = json.loads(reply[0])
    topics = {topic.encode("latin-1") for topic in answer["topics"]}
    check(answer["count"] == len(topics), f"SUBSCRIPTIONS count and list differ: {answer}")
    return topics


def wait_topics(context, device, expected, what, timeout_s=5.0):
    """Asks SUBSCRIPTIONS until it lists exactly expected (a set of bytes), or until
    expected(topics) holds if it is a function."""
    holds = expected if callable(expected) else (lambda topics: topics == expected)
    deadline = time.monotonic() + timeout_s
    while True:
        topics = subscribed_topics(context, device)
        if holds(topics):
            return
        if time.monotonic() > deadline:
            raise TestFailure(f"timed out after {timeout_s} s waiting for {what}: "
                              f"{sorted(topics)}")
        time.sleep(0.01)

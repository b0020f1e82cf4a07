"""zd-forwarder with pyzmq publishers and subscribers: topic filters are honoured through
the hub and multipart messages arrive whole.

    PUB ---> XSUB [zd-forwarder] XPUB ---> SUB "alpha"         (gets alpha only)
                                      \\--> SUB "beta", "gam"   (gets beta and gamma)

Subscriptions take time to travel up through the hub to the publisher, so the publisher
sends probes on each subscriber's topics until every subscriber has seen one, and only
then the counted messages. Run once per engine: the native one (ZMTP spoken by zd-forwarder
itself, against pyzmq's libzmq) and libzmq's XSUB/XPUB; STATS must name the engine.

Usage: test_forwarder.py PATH/TO/zd-forwarder
"""

import os
import sys

import zmq

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from zdinterop import (ENGINES, TestFailure, check, check_engine, engine_device, new_socket,
                       recv_multipart, run)

PER_TOPIC = 200
TOPICS = [b"alpha", b"beta", b"gamma", b"delta"]  # delta: nobody subscribes
TIMEOUT_MS = 5000
PROBE_INTERVAL_MS = 20
PROBE_DEADLINE_PROBES = 250  # 5 s of probing at most
EXPECTED = {"A": [b"alpha"], "B": [b"beta", b"gamma"]}  # topics each subscriber must get


def wait_for_probes(publisher, subscribers):
    """Publishes [topic, "probe"] on every topic until each subscriber has seen a probe."""
    pending = set(subscribers)
    for _ in range(PROBE_DEADLINE_PROBES):
        for topic in TOPICS:
            publisher.send_multipart([topic, b"probe"])
        for name in list(pending):
            if subscribers[name].poll(PROBE_INTERVAL_MS // len(subscribers)):
                pending.discard(name)
        if not pending:
            return
    raise TestFailure(f"subscribers {sorted(pending)} never saw a probe: subscriptions did "
                      "not reach the publisher through the forwarder")


def collect(subscriber, name):
    """Reads until the subscriber's end marker; returns {topic: [sequence numbers]}."""
    received = {}
    ends = 0
    while True:
        message = recv_multipart(subscriber, TIMEOUT_MS, f"messages for subscriber {name}")
        if message[1:] == [b"probe"]:
            continue  # probes still in flight from before the counted run
        if message[1:] == [b"end"]:
            ends += 1
            if ends == len(EXPECTED[name]):
                return received
            continue
        check(len(message) == 3 and message[2] == b"payload:" + message[1],
              f"subscriber {name} got a mangled multipart message {message!r}")
        received.setdefault(message[0], []).append(int(message[1]))


def test(context, forwarder_path):
    for engine in ENGINES:
        test_engine(context, forwarder_path, engine)


def test_engine(context, forwarder_path, engine):
    with engine_device(forwarder_path, engine, "-f", "@tcp://127.0.0.1:*", "-b",
                       "@tcp://127.0.0.1:*") as hub:
        check_engine(hub, engine)
        publisher = new_socket(context, zmq.PUB, hub.address("frontend"))
        subscribers = {
            "A": new_socket(context, zmq.SUB, hub.address("backend"), subscribe=b"alpha"),
            "B": new_socket(context, zmq.SUB, hub.address("backend"), subscribe=b"beta"),
        }
        subscribers["B"].setsockopt(zmq.SUBSCRIBE, b"gam")  # a prefix, as ZeroMQ filters are
        wait_for_probes(publisher, subscribers)

        # Interleave the topics, three frames per message; 800 messages in all stay far
        # below the high-water marks on the way, so nothing may be dropped.
        for number in range(PER_TOPIC):
            for topic in TOPICS:
                sequence = str(number).encode()
                publisher.send_multipart([topic, sequence, b"payload:" + sequence])
        for topic in TOPICS:
            publisher.send_multipart([topic, b"end"])

        for name, subscriber in subscribers.items():
            received = collect(subscriber, name)
            check(sorted(received) == EXPECTED[name],
                  f"subscriber {name} expected topics {EXPECTED[name]}, got {sorted(received)}")
            for topic, numbers in received.items():
                check(numbers == list(range(PER_TOPIC)),
                      f"subscriber {name} got {len(numbers)} of {PER_TOPIC} {topic!r} "
                      f"messages or out of order (first missing: "
                      f"{sorted(set(range(PER_TOPIC)) - set(numbers))[:5]})")
            check(not subscriber.poll(100), f"subscriber {name} got messages after the end")
        check(hub.stop() == 0, f"zd-forwarder ({engine}) did not exit 0 on SIGTERM")


if __name__ == "__main__":
    sys.exit(run(test))

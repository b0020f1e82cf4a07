#!/usr/bin/python3
"""Example: a publisher and a subscriber talking through a running zd-forwarder with plain
pyzmq sockets (Debian's python3-zmq). Nothing here knows about zdevices: the forwarder is
just an XSUB/XPUB pair the two ends connect to.

    PUB ---> [zd-forwarder -f FRONTEND -b BACKEND] ---> SUB "weather."

    zd-forwarder -f @tcp://127.0.0.1:5550 -b @tcp://127.0.0.1:5551 &
    examples/pubsub.py tcp://127.0.0.1:5550 tcp://127.0.0.1:5551

A subscription needs a moment to travel from the subscriber through the forwarder to the
publisher; until it arrives the publisher's messages go nowhere. So the publisher repeats a
"hello" until the subscriber has one, and only then sends the real data.
Exits 0 when the subscriber got every update it subscribed to and nothing else.
"""

import sys

import zmq

TIMEOUT_MS = 5000


def main(frontend, backend):
    context = zmq.Context()
    publisher = context.socket(zmq.PUB)
    publisher.connect(frontend)
    subscriber = context.socket(zmq.SUB)
    subscriber.setsockopt(zmq.SUBSCRIBE, b"weather.")
    subscriber.connect(backend)
    for socket in (publisher, subscriber):
        socket.setsockopt(zmq.LINGER, 0)

    for _ in range(TIMEOUT_MS // 50):  # until the subscription has reached the publisher
        publisher.send_multipart([b"weather.hello", b""])
        if subscriber.poll(50):
            break
    else:
        print("no message came through: is zd-forwarder running there?", file=sys.stderr)
        return 1

    updates = [[b"weather.paris", b"21C"], [b"sports.final", b"2-1"],
               [b"weather.oslo", b"3C"], [b"weather.end", b""]]
    for update in updates:
        publisher.send_multipart(update)

    received = []
    while subscriber.poll(TIMEOUT_MS):
        topic, body = subscriber.recv_multipart()
        if topic == b"weather.hello":
            continue  # the hellos still on their way
        if topic == b"weather.end":
            break
        print(f"{topic.decode()}: {body.decode()}")
        received.append([topic, body])
    context.destroy()

    expected = [update for update in updates[:3] if update[0].startswith(b"weather.")]
    if received != expected:
        print(f"expected {expected}, got {received}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(f"usage: {sys.argv[0]} FRONTEND BACKEND   (a zd-forwarder's endpoints)")
    sys.exit(main(sys.argv[1], sys.argv[2]))

"""zd-streamer with pyzmq producers and consumers: every message is delivered exactly once.

    PUSH ---> PULL [zd-streamer] PUSH ---> PULL consumer 1
                                      \\--> PULL consumer 2

The producer first sends one message at a time until both consumers have received
something (so both are attached and the round-robin includes both), then the rest of the
stream; the consumers together must see every message once and nothing else. Run once per
engine: the native pipeline (ZMTP spoken by zd-streamer itself, against pyzmq's libzmq) and
libzmq's sockets; STATS must name the engine and count every message.

Usage: test_streamer.py PATH/TO/zd-streamer
"""

import os
import sys

import zmq

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from zdinterop import (ENGINES, TestFailure, check, check_engine, engine_device, new_socket,
                       run)

TOTAL = 5000
TIMEOUT_MS = 5000
QUIET_MS = 200


def test(context, streamer_path):
    for engine in ENGINES:
        test_engine(context, streamer_path, engine)


def test_engine(context, streamer_path, engine):
    with engine_device(streamer_path, engine, "-f", "@tcp://127.0.0.1:*", "-b",
                       "@tcp://127.0.0.1:*") as stage:
        check_engine(stage, engine)
        producer = new_socket(context, zmq.PUSH, stage.address("frontend"), sndtimeo=TIMEOUT_MS)
        consumers = [new_socket(context, zmq.PULL, stage.address("backend")) for _ in range(2)]
        received = [[], []]
        poller = zmq.Poller()
        for consumer in consumers:
            poller.register(consumer, zmq.POLLIN)

        def drain(timeout_ms):
            events = dict(poller.poll(timeout_ms))
            for index, consumer in enumerate(consumers):
                if consumer in events:
                    while consumer.poll(0):
                        received[index].append(consumer.recv_multipart(zmq.NOBLOCK))
            return bool(events)

        def send(message):
            try:
                producer.send_multipart(message)
            except zmq.Again:
                raise TestFailure(f"the streamer took no message for {TIMEOUT_MS} ms "
                                  f"after {sent} were sent") from None

        sent = 0
        while not all(received):
            check(sent < TOTAL, f"after {sent} messages one consumer still has none: "
                  f"{[len(r) for r in received]}")
            send([str(sent).encode()])
            sent += 1
            drain(10)
        while sent < TOTAL:
            send([b"n", str(sent).encode()])  # multipart stays whole
            sent += 1
            if sent % 500 == 0:
                drain(0)
        while sum(map(len, received)) < TOTAL:
            if not drain(TIMEOUT_MS):
                raise TestFailure(f"only {sum(map(len, received))} of {TOTAL} messages "
                                  f"arrived within {TIMEOUT_MS} ms of silence")
        check(not drain(QUIET_MS), "more messages arrived than were sent")

        numbers = []
        for messages in received:
            for message in messages:
                check(len(message) in (1, 2) and (len(message) == 1 or message[0] == b"n"),
                      f"malformed message {message!r}")
                numbers.append(int(message[-1]))
        duplicates = len(numbers) - len(set(numbers))
        check(duplicates == 0, f"{duplicates} messages were delivered twice")
        check(sorted(numbers) == list(range(TOTAL)),
              f"messages lost: {sorted(set(range(TOTAL)) - set(numbers))[:10]}")
        for index, messages in enumerate(received):
            order = [int(message[-1]) for message in messages]
            check(order == sorted(order), f"consumer {index + 1} got messages out of order")
        counted = stage.stats()["frontend_to_backend"]
        check(counted["received_messages"] == TOTAL and counted["sent_messages"] == TOTAL,
              f"STATS counted {counted}, not {TOTAL} messages")
        check(stage.stop() == 0, f"zd-streamer ({engine}) did not exit 0 on SIGTERM")


if __name__ == "__main__":
    sys.exit(run(test))

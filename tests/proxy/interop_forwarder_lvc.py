"""zd-forwarder --last-value-cache with pyzmq: a subscriber that joins late gets the latest
message of its topic at once, and nobody else gets that copy.

    PUB ---> XSUB [zd-forwarder --last-value-cache] XPUB ---> SUB "temp"     (early)
                                                         \\--> SUB "temp.a"   (joins late)
                                                         \\--> SUB "temp.b"   (joins late)
                                                         \\--> SUB "temp.c"   (joins late)

Usage: test_forwarder_lvc.py PATH/TO/zd-forwarder
"""

import os
import sys

import zmq

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from zdinterop import Device, TestFailure, check, new_socket, recv_multipart, run

TIMEOUT_MS = 5000
QUIET_MS = 200  # how long "nothing else arrives" is watched


def test(context, forwarder_path):
    with Device(forwarder_path, "-f", "@tcp://127.0.0.1:*", "-b", "@tcp://127.0.0.1:*",
                "--last-value-cache") as hub:
        publisher = new_socket(context, zmq.PUB, hub.address("frontend"))
        early = new_socket(context, zmq.SUB, hub.address("backend"), subscribe=b"temp")

        # The early subscription must reach the publisher before anything is published,
        # or the PUB socket filters the values out and the hub never sees them.
        for _ in range(250):
            publisher.send_multipart([b"temp.probe", b"probe"])
            if early.poll(20):
                break
        else:
            raise TestFailure("the early subscriber never saw a probe")

        for message in ([b"temp.a", b"1"], [b"temp.a", b"2"], [b"temp.b", b"x"],
                        [b"temp.end", b""]):
            publisher.send_multipart(message)
        # When the early subscriber has the end marker, the hub has cached every value.
        while recv_multipart(early, TIMEOUT_MS, "the end marker")[0] != b"temp.end":
            pass

        late = {topic: new_socket(context, zmq.SUB, hub.address("backend"), subscribe=topic)
                for topic in (b"temp.a", b"temp.b", b"temp.c")}
        check(recv_multipart(late[b"temp.a"], TIMEOUT_MS, "the cached temp.a value") ==
              [b"temp.a", b"2"], "a late temp.a subscriber must get the latest value, 2")
        check(recv_multipart(late[b"temp.b"], TIMEOUT_MS, "the cached temp.b value") ==
              [b"temp.b", b"x"], "a late temp.b subscriber must get the latest value, x")
        for topic, socket in late.items():
            check(not socket.poll(QUIET_MS), f"the late {topic!r} subscriber got extra messages")
        check(not early.poll(QUIET_MS),
              "the early subscriber got a copy of a cached value meant for a newcomer")

        # Live traffic still flows to everyone after the cached replies.
        publisher.send_multipart([b"temp.a", b"3"])
        check(recv_multipart(late[b"temp.a"], TIMEOUT_MS, "live temp.a") == [b"temp.a", b"3"],
              "the late subscriber did not get the live update")
        check(recv_multipart(early, TIMEOUT_MS, "live temp.a") == [b"temp.a", b"3"],
              "the early subscriber did not get the live update")
        check(hub.stop() == 0, "zd-forwarder did not exit 0 on SIGTERM")


if __name__ == "__main__":
    sys.exit(run(test))

"""zd-forwarder's last-value cache in STATS (issue 12, "how much is waiting"): what it holds,
its bound, and how many topics the bound made it forget, so that an operator sees a cache
too small for its topics instead of subscribers silently missing their last value.

    PUB --> [zd-forwarder --last-value-cache --lvc-max-topics 2] --> SUB (joins late)
              | STATS "last_value_cache": {topics, max_topics, evicted}

Before: STATS said nothing of the cache.

Usage: interop_lvc_stats.py PATH/TO/zd-forwarder
"""

import os
import sys

import zmq

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from zdinterop import Device, check, new_socket, recv_multipart, run  # noqa: E402

TCP = "@tcp://127.0.0.1:*"


def test(context, forwarder_path):
    with Device(forwarder_path, "-f", TCP, "-b", TCP, "--control", TCP, "--last-value-cache",
                "--lvc-max-topics", "2") as hub:
        cache = hub.stats()["last_value_cache"]
        check(cache == {"topics": 0, "max_topics": 2, "evicted": 0}, f"empty cache: {cache}")
        publisher = new_socket(context, zmq.PUB, hub.address("frontend"))
        # The cache subscribes upstream to everything; the first update it sees is the probe.
        for _ in range(250):
            publisher.send_multipart([b"probe", b"0"])
            if hub.stats()["last_value_cache"]["topics"] == 1:
                break
        else:
            check(False, "the cache never held the probe")
        for topic in (b"a", b"b", b"c"):
            publisher.send_multipart([topic, b"latest " + topic])
        cache = hub.wait_stats(lambda s: s["evicted"] == 2, "probe and a forgotten",
                               section="last_value_cache")
        check(cache["topics"] == 2, f"a cache of 2 topics holds {cache}")
        late = new_socket(context, zmq.SUB, hub.address("backend"), subscribe=b"c")
        check(recv_multipart(late, 5000, "the cached c") == [b"c", b"latest c"],
              "the late subscriber did not get c's last value")
        check(hub.stop() == 0, "zd-forwarder did not exit 0 on SIGTERM")


if __name__ == "__main__":
    sys.exit(run(test))

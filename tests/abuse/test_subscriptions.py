"""A subscriber with 100 000 subscriptions: the forwarder keeps at most --max-subscriptions
distinct topics, refuses the rest (counted, logged once), keeps serving a well-behaved
publisher and subscriber, and stays under a stated resident memory (issue 14).

    good PUB --"good N"--> [zd-forwarder --max-subscriptions 50000] --"good N"--> good SUB
                                  ^
    abusive SUB: SUBSCRIBE abuse.topic.00000000 ... abuse.topic.00099999 (no send limit)

Before, nothing bounded the table: 100 000 topics of 20 bytes took 33 MB on either engine
(the native engine keeps each topic per subscriber, in its upstream table and in STATS' table;
libzmq's XPUB its trie and STATS' table), and longer topics or more of them took more, without
limit. Now the 50 001st distinct topic and every later one is refused: not passed upstream
(so no publisher sends it), not served, counted in STATS subscriptions.refused. On the libzmq
engine the XPUB's own trie still holds what it was sent (docs/LIMITS.md).

Usage: test_subscriptions.py ZD_FORWARDER ENGINE RSS_BOUND_MIB
"""

import sys

import zmq

from abuse import (PEERS, check, check_alive, check_rss, new_socket, rss_kib, run,
                   start_device)

SUBSCRIPTIONS = 100000
MAX = 50000


def test(context, path, engine, bound_mib):
    device = start_device(path, engine, "--max-subscriptions", str(MAX))
    with device:
        check(device.stats()["engine"] == engine, f"STATS does not say engine {engine}")
        good = PEERS[device.name](context, device)
        good.round_trip()  # "good" is subscribed: one topic of the MAX
        print(f"zd-forwarder {engine}: {rss_kib(device)} KiB before")
        abuser = new_socket(context, zmq.SUB, device.address("backend"), sndhwm=0)
        for number in range(SUBSCRIPTIONS):
            abuser.setsockopt(zmq.SUBSCRIBE, b"abuse.topic.%08d" % number)
            if number % 10000 == 0:
                good.round_trip()  # served while the subscriptions pour in
        admitted = MAX - 1
        table = device.wait_stats(
            lambda s: s["count"] + s["refused"] >= 1 + SUBSCRIPTIONS,
            "every subscription admitted or refused", timeout_s=15, section="subscriptions")
        check(table == {"count": MAX, "refused": SUBSCRIPTIONS - admitted, "max": MAX},
              f"expected {MAX} topics and {SUBSCRIPTIONS - admitted} refused: {table}")
        for _ in range(10):
            good.round_trip()
        check_alive(device)
        check_rss(device, int(bound_mib) * 1024, f"{SUBSCRIPTIONS} subscriptions")
        # An admitted topic is served, a refused one is not passed upstream.
        publisher = good.pub
        first, last = b"abuse.topic.%08d" % 0, b"abuse.topic.%08d" % (SUBSCRIPTIONS - 1)
        while not abuser.poll(50, zmq.POLLIN):
            publisher.send(last)
            publisher.send(first)
        got = abuser.recv()
        check(got == first, f"a refused topic was served: {got!r}")
        abuser.close(linger=0)
        device.wait_stats(lambda s: s["count"] == 1, "the abuser's topics to be released",
                          timeout_s=15, section="subscriptions")
        good.round_trip()
        good.close()
        check(device.stop() == 0, "zd-forwarder did not exit 0 on SIGTERM")
    lines = [line for line in device.stderr_text.splitlines() if "--max-subscriptions" in line]
    check(len(lines) == 1, f"expected one log line for the refusals, got {lines}")


if __name__ == "__main__":
    sys.exit(run(test))

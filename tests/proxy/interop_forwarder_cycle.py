"""Forwarders chained in a cycle are refused, on both engines; a diamond (not a cycle) is not.

    cycle:    F1 --> F2 --> F3 --+        each forwarder subscribes upstream to its own
               ^                 |        loop probe; the probes go round, so a forwarder
               +-----------------+        sees its own come back from downstream, logs
                                          "subscription loop", publishes it as an "error"
                                          event and exits 1 (docs/TOPOLOGIES.md)

    diamond:  F1 --+--> F2a --+--> F3 --> SUB "d"     two paths, no cycle: every forwarder
                   +--> F2b --+                        keeps running

The same cycle of forwarders with --last-value-cache (libzmq engine) is refused too.

The first forwarder to notice the cycle exits and so breaks it; the others may or may not
have noticed by then. So: at least one exits, and every one that exits says why.

Usage: interop_forwarder_cycle.py ZD_FORWARDER
"""

import os
import sys
import time

import zmq

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from zdinterop import ENGINES, check, check_engine, engine_device, new_socket, run  # noqa: E402
from zdevents import wait_event  # noqa: E402
from zdevents import subscribe as subscribe_events  # noqa: E402
from zdtree import subscribed_topics, wait_topics  # noqa: E402

TCP = "@tcp://127.0.0.1:*"
EXIT_DEADLINE_S = 5
LOOP = "subscription loop"


def cycle(context, forwarder, engine, *extra):
    events = ("--events", TCP, *extra)
    with engine_device(forwarder, engine, "-f", TCP, "-b", TCP, *events) as f1, \
            engine_device(forwarder, engine, "-f", ">" + f1.address("backend"), "-b", TCP,
                          *events) as f2:
        watched = {f1: subscribe_events(context, f1, b"error"),
                   f2: subscribe_events(context, f2, b"error")}
        # F3 closes the cycle: its backend connects to F1's frontend.
        with engine_device(forwarder, engine, "-f", ">" + f2.address("backend"),
                           "-b", ">" + f1.address("frontend"), *extra) as f3:
            hops = (f1, f2, f3)
            deadline = time.monotonic() + EXIT_DEADLINE_S
            while all(hop.process.poll() is None for hop in hops):
                check(time.monotonic() < deadline,
                      f"{engine}: no forwarder of the cycle exited within {EXIT_DEADLINE_S} s")
                time.sleep(0.01)  # polling three processes' exit: nothing else to wait on
            exited = [hop for hop in hops if hop.process.poll() is not None]
            for hop in exited:
                check(hop.process.returncode == 1,
                      f"{engine}: a forwarder of the cycle exited {hop.process.returncode}")
                if hop in watched:
                    event = wait_event(watched[hop], "error", f"{engine}: the error event")
                    check(LOOP in event.get("message", str(event)),
                          f"{engine}: the error event does not name the loop: {event}")
            for hop in hops:
                hop.kill()  # the survivors, if any, exit on SIGTERM (or saw the loop too)
            for hop in exited:
                check(LOOP in hop.stderr_text,
                      f"{engine}: a forwarder exited without saying why: {hop.stderr_text!r}")


def diamond(context, forwarder, engine):
    with engine_device(forwarder, engine, "-f", TCP, "-b", TCP) as f1, \
            engine_device(forwarder, engine, "-f", ">" + f1.address("backend"), "-b", TCP) as f2a, \
            engine_device(forwarder, engine, "-f", ">" + f1.address("backend"), "-b", TCP) as f2b, \
            engine_device(forwarder, engine, "-f", ">" + f2a.address("backend") + ",>" +
                          f2b.address("backend"), "-b", TCP) as f3:
        for hop in (f1, f2a, f2b, f3):
            check_engine(hop, engine)
        subscriber = new_socket(context, zmq.SUB, f3.address("backend"), subscribe=b"d")
        # Every probe went up before the subscriber's topic on the same connections: once the
        # root lists the topic, every probe has travelled as far as it goes.
        wait_topics(context, f1, {b"d"}, f"{engine}: the diamond's topic at the root")
        for hop in (f2a, f2b, f3):
            check(subscribed_topics(context, hop) == {b"d"},
                  f"{engine}: a probe shows in a hop's SUBSCRIPTIONS")
        subscriber.close(linger=0)
        for hop in (f3, f2b, f2a, f1):
            check(hop.stop() == 0, f"{engine}: a diamond's forwarder did not exit 0")


def test(context, forwarder):
    for engine in ENGINES:
        cycle(context, forwarder, engine)
        diamond(context, forwarder, engine)
    # Caching forwarders hand on every subscription themselves (manual XPUB): probes too.
    cycle(context, forwarder, "libzmq", "--last-value-cache")


if __name__ == "__main__":
    sys.exit(run(test))

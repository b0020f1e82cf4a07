"""Three forwarders chained with --no-drop, on both engines: a stalled subscriber at the far end
holds every hop, the publisher's sends are refused after a bounded number of messages (its
XPUB_NODROP socket says EAGAIN), no hop drops anything (native: STATS dropped_messages 0), every
hop holds at most its --hwm, and when the subscriber reads again everything arrives, in order.

    pyzmq XPUB --> F1 --> F2 --> F3 --> pyzmq SUB "" (RCVHWM 10, stops reading, then drains)
    XPUB_NODROP    each --no-drop --hwm 10
    SNDHWM 10

Without --no-drop each hop drops at the next one's mark (issue 13: chained forwarders spent
their time on messages that never arrived), and the publisher is never held.

Usage: interop_forwarder_chain.py ZD_FORWARDER
"""

import os
import sys
import time

import zmq

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from zdinterop import ENGINES, TestFailure, check, check_engine, new_socket, run  # noqa: E402
from zdchain import check_bounded, kernel_bound, start_chain, stop_chain  # noqa: E402

HWM = 10
PAYLOAD = b"x" * 16384
# What a hop holds: --hwm messages for its subscriber, plus one read buffer (256 KiB) from
# its publisher on the native engine, or libzmq's pipes (--hwm each way) on the other.
HELD_PER_HOP = 2 * HWM + 256 * 1024 // len(PAYLOAD) + 1
RSS_LIMIT_KIB = 64 * 1024
QUIET_S = 0.3  # refused this long: held all the way back
HELD_CPU_S = 0.5  # how long a held hop's CPU time is watched
HELD_CPU_LIMIT = 0.07  # s of that: 0.01-0.02 s here; a loop retrying a full XPUB at once, 0.11-0.12


def wait_subscribed(publisher, deadline_s=5):
    """Reads subscriptions on the publisher's XPUB until the subscriber's "" arrives through
    the three hops (each forwarder's loop probe arrives too, and is skipped)."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if publisher.poll(50) and publisher.recv() == b"\x01":
            return
    raise TestFailure(f"the subscription did not reach the publisher within {deadline_s} s")


def fill_until_held(send, bound):
    """Calls send(n) (non-blocking, raising zmq.Again) until sends have been refused for QUIET_S
    without a break: an XPUB says POLLOUT even when full, so the refusal itself is the sign.
    Fails if more than bound go in first. Returns how many were sent."""
    sent = 0
    refused_since = None
    deadline = time.monotonic() + 10
    while True:
        try:
            send(sent)
            sent += 1
            refused_since = None
            check(sent <= bound, f"the publisher sent {sent} messages without being held: a "
                  "hop drops or buffers without bound")
        except zmq.Again:
            now = time.monotonic()
            refused_since = refused_since or now
            if now - refused_since >= QUIET_S:
                return sent
            check(now < deadline, f"never held within 10 s ({sent} sent)")
            time.sleep(0.001)  # a retry loop, not a wait for an event: nothing else to wait on


def cpu_seconds(device):
    """User + system CPU time of a device's process so far (/proc/PID/stat)."""
    with open(f"/proc/{device.process.pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def check_idle_while_held(hops, engine):
    """A held hop waits: an XPUB says POLLOUT while full, and the libzmq engine's proxy loop
    once retried at once, spinning."""
    before = [cpu_seconds(hop) for hop in hops]
    time.sleep(HELD_CPU_S)  # the span measured, not a wait for something to happen
    for index, (hop, start) in enumerate(zip(hops, before), 1):
        used = cpu_seconds(hop) - start
        print(f"{engine}: hop {index} used {used:.2f} s CPU while held")
        check(used <= HELD_CPU_LIMIT, f"{engine}: hop {index} used {used:.2f} s of CPU in "
              f"{HELD_CPU_S} s while held: it spins")


def scenario(context, forwarder, engine):
    hops = start_chain(forwarder, engine, 3, "--hwm", str(HWM), "--no-drop")
    try:
        for hop in hops:
            check_engine(hop, engine)
        subscriber = new_socket(context, zmq.SUB, hops[-1].address("backend"), rcvhwm=HWM)
        subscriber.setsockopt(zmq.SUBSCRIBE, b"")
        publisher = new_socket(context, zmq.XPUB, hops[0].address("frontend"), sndhwm=HWM)
        publisher.setsockopt(zmq.XPUB_NODROP, 1)
        wait_subscribed(publisher)

        def send(n):
            publisher.send(n.to_bytes(4, "big") + PAYLOAD, zmq.NOBLOCK)

        bound = kernel_bound(4, len(PAYLOAD), HELD_PER_HOP, 3) + 2 * HWM
        sent = fill_until_held(send, bound)
        held = check_bounded(hops, engine, HWM, RSS_LIMIT_KIB, engine)
        check_idle_while_held(hops, engine)
        print(f"{engine}: the publisher was held after {sent} messages (bound {bound}); {held}")

        total = sent + 100  # and the publisher can send again
        expected = 0
        deadline = time.monotonic() + 20
        while expected < total:
            check(time.monotonic() < deadline, f"{engine}: {expected} of {total} arrived")
            if sent < total:
                try:
                    send(sent)
                    sent += 1
                except zmq.Again:
                    pass
            if subscriber.poll(10):
                number = int.from_bytes(subscriber.recv(zmq.NOBLOCK)[:4], "big")
                check(number == expected, f"{engine}: message {number} arrived where {expected} "
                      "was expected (dropped by a hop)")
                expected += 1
        if engine == "native":
            for index, hop in enumerate(hops, 1):
                dropped = hop.stats()["frontend_to_backend"]["dropped_messages"]
                check(dropped == 0, f"hop {index} dropped {dropped} messages")
        publisher.close(linger=0)
        subscriber.close(linger=0)
        for hop in hops:
            check(hop.stop() == 0, f"{engine}: a forwarder did not exit 0")
    finally:
        stop_chain(hops)


def test(context, forwarder):
    for engine in ENGINES:
        scenario(context, forwarder, engine)


if __name__ == "__main__":
    sys.exit(run(test))

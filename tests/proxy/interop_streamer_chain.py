"""Three streamers chained, on both engines: a stalled consumer at the far end makes the
producer block after a bounded number of messages, every hop holds at most its --hwm (STATS
"queued") in bounded memory (RSS), and when the consumer reads again everything arrives, in
order, nothing lost.

    pyzmq PUSH --> S1 --> S2 --> S3 --> pyzmq PULL (RCVHWM 10, stops reading, then drains)
    SNDHWM 10      each --hwm 10

Usage: interop_streamer_chain.py ZD_STREAMER
"""

import os
import sys
import time

import zmq

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from zdinterop import ENGINES, check, check_engine, new_socket, run  # noqa: E402
from zdchain import check_bounded, fill_until_blocked, kernel_bound, start_chain, stop_chain  # noqa: E402,E501

HWM = 10
PAYLOAD = b"x" * 16384
# Kernel socket buffers on loopback hold up to tens of MiB per connection whatever the
# devices do; a hop without a bound would take in messages until its memory ran out. Each
# hop holds --hwm messages for its consumer, one read buffer (256 KiB) from its producer on
# the native engine, and libzmq's pipes (--hwm each way) on the other.
HELD_PER_HOP = 2 * HWM + 256 * 1024 // len(PAYLOAD) + 1
RSS_LIMIT_KIB = 64 * 1024


def scenario(context, streamer, engine):
    hops = start_chain(streamer, engine, 3, "--hwm", str(HWM))
    try:
        for hop in hops:
            check_engine(hop, engine)
        consumer = new_socket(context, zmq.PULL, hops[-1].address("backend"), rcvhwm=HWM)
        producer = new_socket(context, zmq.PUSH, hops[0].address("frontend"), sndhwm=HWM)
        for hop in hops:
            hop.wait_stats(lambda p: p["frontend"]["connected"] == 1 and
                           p["backend"]["connected"] == 1, f"{engine}: both sides connected",
                           section="peers")

        def send(n):
            producer.send(n.to_bytes(4, "big") + PAYLOAD, zmq.NOBLOCK)

        # Four connections, and the producer's and the consumer's HWM.
        bound = kernel_bound(4, len(PAYLOAD), HELD_PER_HOP, 3) + 2 * HWM
        sent = fill_until_blocked(send, producer, bound)
        held = check_bounded(hops, engine, HWM, RSS_LIMIT_KIB, engine)
        print(f"{engine}: the producer blocked after {sent} messages (bound {bound}); {held}")

        # The consumer reads again: everything, in order, then nothing more is queued.
        total = sent + 100  # and the producer can send again
        expected = 0
        deadline = time.monotonic() + 10
        while expected < total:
            check(time.monotonic() < deadline, f"{engine}: {expected} of {total} arrived")
            if sent < total:
                try:
                    send(sent)
                    sent += 1
                except zmq.Again:
                    pass
            if consumer.poll(10):
                message = consumer.recv(zmq.NOBLOCK)
                number = int.from_bytes(message[:4], "big")
                check(number == expected, f"{engine}: message {number} arrived where "
                      f"{expected} was expected (lost or out of order)")
                expected += 1
        check(sent == expected, f"{engine}: sent {sent}, received {expected}")
        for hop in hops:
            hop.wait_stats(lambda q: all(v == 0 for side in q.values() for v in side.values()),
                           f"{engine}: nothing left queued", section="queued")
        producer.close(linger=0)
        consumer.close(linger=0)
        for hop in hops:
            check(hop.stop() == 0, f"{engine}: a streamer did not exit 0")
    finally:
        stop_chain(hops)


def test(context, streamer):
    for engine in ENGINES:
        scenario(context, streamer, engine)


if __name__ == "__main__":
    sys.exit(run(test))

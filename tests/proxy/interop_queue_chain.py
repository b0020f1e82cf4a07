"""Three queues chained, on both engines: requests travel through every hop to one worker
that stops reading; the client blocks after a bounded number of requests, every hop holds at
most its --hwm in bounded memory, and when the worker works again every request reaches it
in order and every reply comes back to the client, in order, nothing lost.

    pyzmq DEALER --> Q1 --> Q2 --> Q3 --> pyzmq DEALER worker (RCVHWM 10, stops reading,
    client            each --hwm 10                            then answers everything)

Each next queue's ROUTER frontend connects to the previous one's DEALER backend: to Q2, Q1
is one client; the routing ids stack up in the envelope and the replies unwind them.

Usage: interop_queue_chain.py ZD_QUEUE
"""

import os
import sys
import time

import zmq

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from zdinterop import ENGINES, check, check_engine, new_socket, run  # noqa: E402
from zdchain import check_bounded, fill_until_blocked, kernel_bound, start_chain, stop_chain  # noqa: E402,E501

HWM = 10
PAYLOAD = b"r" * 16384
HELD_PER_HOP = 2 * HWM + 256 * 1024 // len(PAYLOAD) + 1  # as in interop_streamer_chain.py
RSS_LIMIT_KIB = 64 * 1024


def scenario(context, queue, engine):
    hops = start_chain(queue, engine, 3, "--hwm", str(HWM), "--hold-replies")
    try:
        for hop in hops:
            check_engine(hop, engine)
        worker = new_socket(context, zmq.DEALER, hops[-1].address("backend"), rcvhwm=HWM)
        client = new_socket(context, zmq.DEALER, hops[0].address("frontend"), sndhwm=HWM)
        for hop in hops:
            hop.wait_stats(lambda p: p["frontend"]["connected"] == 1 and
                           p["backend"]["connected"] == 1, f"{engine}: both sides connected",
                           section="peers")

        def send(n):
            client.send_multipart([b"", n.to_bytes(4, "big") + PAYLOAD], zmq.NOBLOCK)

        bound = kernel_bound(4, len(PAYLOAD), HELD_PER_HOP, 3) + 2 * HWM
        sent = fill_until_blocked(send, client, bound)
        held = check_bounded(hops, engine, HWM, RSS_LIMIT_KIB, engine)
        print(f"{engine}: the client blocked after {sent} requests (bound {bound}); {held}")

        # The worker answers again: every request in order, every reply back in order.
        total = sent + 100  # and the client can send again
        requests = replies = 0
        deadline = time.monotonic() + 10
        while replies < total:
            check(time.monotonic() < deadline,
                  f"{engine}: {requests} requests and {replies} replies of {total}")
            if sent < total:
                try:
                    send(sent)
                    sent += 1
                except zmq.Again:
                    pass
            while worker.poll(0):
                *envelope, body = worker.recv_multipart(zmq.NOBLOCK)
                number = int.from_bytes(body[:4], "big")
                check(number == requests, f"{engine}: request {number} reached the worker "
                      f"where {requests} was expected")
                requests += 1
                worker.send_multipart([*envelope, body[:4]])
            if client.poll(5):
                delimiter, body = client.recv_multipart(zmq.NOBLOCK)
                check(delimiter == b"" and int.from_bytes(body, "big") == replies,
                      f"{engine}: reply {body!r} where {replies} was expected")
                replies += 1
        for hop in hops:
            hop.wait_stats(lambda q: all(v == 0 for side in q.values() for v in side.values()),
                           f"{engine}: nothing left queued", section="queued")
            check(hop.stats()["backend_to_frontend"]["dropped_messages"] == 0,
                  f"{engine}: a hop dropped a reply")
        client.close(linger=0)
        worker.close(linger=0)
        for hop in hops:
            check(hop.stop() == 0, f"{engine}: a queue did not exit 0")
    finally:
        stop_chain(hops)


def test(context, queue):
    for engine in ENGINES:
        scenario(context, queue, engine)


if __name__ == "__main__":
    sys.exit(run(test))

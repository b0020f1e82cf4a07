"""Peers that never read and peers that flood: for ABUSE_SECONDS the abuser does its worst
while a well-behaved peer keeps sending and getting answers; the device must stay up, keep
answering, and stay under a stated resident memory (issue 14, docs/LIMITS.md).

Scenarios (the first argument):
  broker-client-never-reads   a DEALER asks the broker mmi.service as fast as it can and never
                              reads an answer; the good peer asks too
  queue-client-never-reads    a DEALER client sends requests as fast as it can and never reads
                              the replies an echo worker sends; the good client is answered
  journal-consumer-never-reads  a consumer subscribes and never reads while a producer fills
                              the journal; the good producer's records are acknowledged
  broker-worker-floods        a DEALER sends unsolicited worker replies (no READY) as fast as it
                              can; the good client is answered
  forwarder-publisher-floods  a PUB publishes "flood" as fast as it can to a SUB that never
                              reads; the good publisher's messages reach the good subscriber
  journal-producer-floods     a producer publishes without waiting for ACKs (or reading them);
                              the good producer's records are acknowledged

The abusers have no send limit of their own (sndhwm 0), so the device's own bounds are what
holds: its receive high-water marks, its send marks per peer (with drops counted where an
output may drop), the journal's credit. The RSS bound is not checked on a sanitizer build.

Usage: test_slow_and_flood.py SCENARIO DEVICE ENGINE|- RSS_BOUND_MIB
"""

import os
import sys
import tempfile
import time

import zmq

from abuse import (PEERS, QueuePeer, check, check_alive, check_rss, new_socket, recv_multipart,
                   rss_kib, run, start_device)

ABUSE_SECONDS = 2
GOOD_EVERY_S = 0.05  # a good round trip this often while the abuse goes on


def send_while(socket, frames, until):
    """Sends frames without blocking until the monotonic time until; returns how many went."""
    sent = 0
    for _ in range(1000):
        try:
            socket.send_multipart(frames, zmq.NOBLOCK)
            sent += 1
        except zmq.Again:
            break
        if time.monotonic() >= until:
            break
    return sent


def abuse_loop(device, good, abuse_step):
    """Runs abuse_step() for ABUSE_SECONDS, a good round trip every GOOD_EVERY_S; returns the
    number of good round trips and the largest RSS seen."""
    end = time.monotonic() + ABUSE_SECONDS
    trips, peak = 0, 0
    next_trip = time.monotonic()
    while time.monotonic() < end:
        abuse_step()
        if time.monotonic() >= next_trip:
            good.round_trip()
            trips += 1
            peak = max(peak, rss_kib(device))
            check_alive(device)
            next_trip = time.monotonic() + GOOD_EVERY_S
    return trips, peak


def broker_client_never_reads(context, device):
    good = PEERS["zd-broker"](context, device)
    abuser = new_socket(context, zmq.DEALER, device.address("endpoint"), sndhwm=0)
    question = [b"", b"MDPC01", b"mmi.service", b"nobody" * 20]
    result = abuse_loop(device, good, lambda: send_while(abuser, question, time.monotonic() + 1))
    return result, [good, abuser]


def broker_worker_floods(context, device):
    good = PEERS["zd-broker"](context, device)
    abuser = new_socket(context, zmq.DEALER, device.address("endpoint"), sndhwm=0)
    reply = [b"", b"MDPW01", b"\x03", b"no-such-client", b"", b"x" * 100]
    result = abuse_loop(device, good, lambda: send_while(abuser, reply, time.monotonic() + 1))
    return result, [good, abuser]


class EchoQueue(QueuePeer):
    """The good client, and one worker that echoes every request (the abuser's too)."""

    def echo_waiting(self):
        while self.worker.poll(0, zmq.POLLIN):
            self.worker.send_multipart(self.worker.recv_multipart())

    def round_trip(self, timeout_ms=5000):
        self.count += 1
        tag = b"good %d" % self.count
        self.client.send_multipart([b"", tag])
        deadline = time.monotonic() + timeout_ms / 1000
        while not self.client.poll(0, zmq.POLLIN) or self.client.recv_multipart()[-1] != tag:
            check(time.monotonic() < deadline, f"no reply to {tag!r}")
            self.echo_waiting()
            self.client.poll(1, zmq.POLLIN)


def queue_client_never_reads(context, device):
    good = EchoQueue(context, device)
    # A small receive queue and buffer: the queue's mark for it is reached within the 2 s
    # even on a loaded machine, where the echo worker (Python) echoes slowly.
    abuser = new_socket(context, zmq.DEALER, device.address("frontend"), sndhwm=0, rcvhwm=10,
                        rcvbuf=4096)

    def step():
        send_while(abuser, [b"", b"x" * 100], time.monotonic() + 1)
        good.echo_waiting()

    result = abuse_loop(device, good, step)
    dropped = device.stats()["backend_to_frontend"]["dropped_messages"]
    print(f"replies the queue dropped for the client that never reads: {dropped}")
    check(dropped > 0, "no reply dropped: the client that never reads was not at its mark")
    return result, [good, abuser]


def journal_consumer_never_reads(context, device):
    from journaltest import Consumer
    good = PEERS["zd-journal"](context, device)
    consumer = Consumer(context, device.address("backend"), "never-reads")  # subscribes
    filler = new_socket(context, zmq.DEALER, device.address("frontend"), sndhwm=0)
    state = {"seq": 0}

    def step():
        for _ in range(100):
            state["seq"] += 1
            filler.send_multipart([b"PUB filler %d 1" % state["seq"], b"x" * 1000])
        while filler.poll(0, zmq.POLLIN):
            filler.recv_multipart()  # its ACKs: read, so only the consumer is slow

    result = abuse_loop(device, good, step)
    return result, [good, consumer, filler]


def journal_producer_floods(context, device):
    good = PEERS["zd-journal"](context, device)
    flooder = new_socket(context, zmq.DEALER, device.address("frontend"), sndhwm=0)
    state = {"seq": 0}

    def step():
        for _ in range(100):
            state["seq"] += 1
            flooder.send_multipart([b"PUB flood %d 1" % state["seq"], b"x" * 1000])

    result = abuse_loop(device, good, step)
    return result, [good, flooder]


def forwarder_publisher_floods(context, device):
    good = PEERS["zd-forwarder"](context, device)
    slow = new_socket(context, zmq.SUB, device.address("backend"), rcvhwm=100)
    slow.setsockopt(zmq.SUBSCRIBE, b"flood")
    flooder = new_socket(context, zmq.PUB, device.address("frontend"), sndhwm=0)
    good.round_trip()
    message = [b"flood", b"x" * 100]
    result = abuse_loop(device, good,
                        lambda: send_while(flooder, message, time.monotonic() + 1))
    return result, [good, slow, flooder]


SCENARIOS = {
    "broker-client-never-reads": broker_client_never_reads,
    "broker-worker-floods": broker_worker_floods,
    "queue-client-never-reads": queue_client_never_reads,
    "journal-consumer-never-reads": journal_consumer_never_reads,
    "journal-producer-floods": journal_producer_floods,
    "forwarder-publisher-floods": forwarder_publisher_floods,
}


def test(context, scenario, path, engine, bound_mib):
    engine = None if engine == "-" else engine
    with tempfile.TemporaryDirectory() as directory:
        device = start_device(path, engine, directory=directory)
        with device:
            before = rss_kib(device)
            (trips, peak), sockets = SCENARIOS[scenario](context, device)
            print(f"{scenario} {os.path.basename(path)} {engine or ''}: {trips} good round "
                  f"trips in {ABUSE_SECONDS} s; RSS {before} KiB before, {peak} KiB at most")
            check(trips >= ABUSE_SECONDS / GOOD_EVERY_S / 4,
                  f"only {trips} good round trips in {ABUSE_SECONDS} s")
            check_rss(device, int(bound_mib) * 1024, scenario)
            for peer in sockets:
                peer.close() if not isinstance(peer, zmq.Socket) else peer.close(linger=0)
            check(device.stop() == 0, f"{device.name} did not exit 0 on SIGTERM")


if __name__ == "__main__":
    sys.exit(run(test))

"""A journal on two hosts joined by zd-link, for test_three_hosts.py: the near journal and the
link in one host, the far journal in another, the link's far connection across the veths.

    AckedProducer --ipc--> near zd-journal --tcp, lo--> zd-link --tcp, veths--> far zd-journal
    (test process)            (in h3)                   (in h3)                   (in h1)
    far_records() <------------------------------ ipc -------------------------------+

The producer and the reader reach the journals through ipc sockets in the test's directory (a
path socket belongs to the file system, not to a network namespace), so the faults of the
fabric touch only the link's far connection. Frames follow docs/JOURNAL.md ("Wire protocol");
the producer and consumer are the documented peers of tests/journal/journaltest.py.
"""

import os
import sys
import threading
import time

import zmq

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "journal"))
from journaltest import Producer  # noqa: E402
from zdinterop import TestFailure, check, new_socket, recv_multipart  # noqa: E402

JOURNAL_PORT = 5560  # the far journal's frontend, in its host
BACKEND_PORT = 5561  # the near journal's backend, in its host (the link connects on lo)


class AckedProducer:
    """Publishes "ID:SEQ" to a journal in batches, waiting for each batch's ACK before the
    next, on a thread of its own (its socket never leaves it) until stop(). acked: every seq
    the journal acknowledged, in order."""

    BATCH = 5
    PAUSE_S = 0.05  # between batches: about 100 records a second

    def __init__(self, endpoint, producer_id):
        self.endpoint = endpoint
        self.producer_id = producer_id.encode()
        self.acked = []
        self.error = None
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        producer = Producer(zmq.Context.instance(), self.endpoint, self.producer_id)
        try:
            while not self._stopping.is_set():
                seqs = []
                for _ in range(self.BATCH):
                    seq = producer.next_seq
                    producer.publish(b"%s:%d" % (self.producer_id, seq))
                    seqs.append(seq)
                producer.wait_acked(seqs[-1], 5000)  # cumulative: the whole batch
                self.acked.extend(seqs)
                self._stopping.wait(self.PAUSE_S)
        except Exception as error:  # reported by stop(), in the test's thread
            self.error = error
        finally:
            producer.close()

    def running(self):
        return self._thread.is_alive() and self.error is None

    def stop_quietly(self):
        """For a test that failed: stops without a word, whatever the thread was doing."""
        self._stopping.set()
        self._thread.join(6)

    def stop(self):
        """Stops after the batch in hand is acknowledged; the seqs acknowledged."""
        self._stopping.set()
        self._thread.join(10)
        check(not self._thread.is_alive(), "the producer did not stop within 10 s")
        if self.error is not None:
            raise TestFailure(f"the producer failed: {self.error}")
        return self.acked


class Watch:
    """Asks predicate() every 20 ms on a thread of its own, from now until it first holds (or
    limit_s passed): wait() says how long after the start it held. The faults' measures come
    from here, so the test can go on with its other checks while a measure runs; the polling
    bounds the error of a measure to about 20 ms plus one STATS round trip."""

    def __init__(self, predicate, limit_s=30.0):
        self.started = time.monotonic()
        self.held_after = None
        self._predicate = predicate
        self._limit_s = limit_s
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while time.monotonic() - self.started < self._limit_s:
            try:
                if self._predicate():
                    self.held_after = time.monotonic() - self.started
                    return
            except Exception:  # a STATS that timed out: ask again
                pass
            time.sleep(0.02)

    def wait(self, timeout_s, what):
        """Seconds from the start of the watch until the predicate held; fails naming what."""
        self._thread.join(max(0.0, self.started + timeout_s - time.monotonic()))
        check(self.held_after is not None, f"timed out after {timeout_s} s waiting for {what}")
        return self.held_after


def watch_drain(link, near):
    """A Watch for the link to have acknowledged, to the near journal, every record the near
    journal holds now (the backlog a fault left): (watch, backlog in records)."""
    target = near.stats()["log"]["next_offset"] - 1  # the last offset held now
    acked = link_acked(link)
    backlog = target - (acked if acked is not None else -1)

    return Watch(lambda: link_acked_at_least(link, target)), backlog


def link_acked(link):
    """The last near offset the link acknowledged (the far journal stored it and all before),
    None before the first."""
    return link.stats()["link"]["near"]["acked"]


def link_acked_at_least(link, offset):
    acked = link_acked(link)
    return acked is not None and acked >= offset


def far_records(endpoint, timeout_ms=5000):
    """Every record of the far journal, read with a consumer that asks for the origin keys on a
    fresh name: [(offset, producer id, seq, frames)]."""
    socket = new_socket(zmq.Context.instance(), zmq.DEALER, endpoint)
    socket.send(b"SUB check-%d earliest 65536 origin" % os.getpid())
    records = []
    try:
        while socket.poll(300 if records else timeout_ms, zmq.POLLIN):
            frames = recv_multipart(socket, 1000, "a far record")
            tokens = frames[0].split(b" ")
            check(tokens[0] == b"REC" and len(tokens) == 5,
                  f"expected REC offset ts producer seq, got {frames[:2]!r}")
            records.append((int(tokens[1]), tokens[3], int(tokens[4]), frames[1:]))
    finally:
        socket.close(linger=0)
    return records


def check_exactly_once_in_order(records, producer_id, acked):
    """The far journal holds each acknowledged seq once, in the order published, and nothing
    else (every record published was acknowledged: the producer waits for each batch)."""
    producer_id = producer_id.encode()
    check(all(producer == producer_id for _, producer, _, _ in records),
          f"records of other producers far away: "
          f"{sorted({p for _, p, _, _ in records} - {producer_id})}")
    seqs = [seq for _, _, seq, _ in records]
    duplicates = len(seqs) - len(set(seqs))
    check(duplicates == 0, f"{duplicates} duplicate records in the far journal")
    missing = sorted(set(acked) - set(seqs))
    check(not missing, f"{len(missing)} acknowledged records missing far away, e.g. {missing[:5]}")
    check(len(seqs) == len(acked), f"{len(seqs)} far records for {len(acked)} acknowledged")
    if seqs != acked:
        first = next(i for i, (far, near) in enumerate(zip(seqs, acked)) if far != near)
        raise TestFailure(f"the far journal's order differs from the producer's at record "
                          f"{first}: {seqs[first:first + 5]} for {acked[first:first + 5]}")
    for offset, _, seq, frames in records:
        check(frames == [b"%s:%d" % (producer_id, seq)], f"far record {offset} carries {frames!r}")

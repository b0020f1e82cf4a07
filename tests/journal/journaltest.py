"""Shared helpers for zd-journal's script tests: the journal process with its directory and
control socket, and small pyzmq producers, consumers and readers written straight from the
frame tables in docs/JOURNAL.md ("Wire protocol").

Nothing here uses the project's own journal code: the peers are built from the documented
frames, so a test catches the device and its library agreeing on something the document
does not say. Process handling and timeouts come from tests/support/zdinterop.py.
"""

import json
import os
import sys
import time

import zmq

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from zdinterop import Device, TestFailure, check, new_socket, recv_multipart, run  # noqa: E402,F401

TIMEOUT_MS = 5000


def b(value):
    return value if isinstance(value, bytes) else str(value).encode()


class Journal(Device):
    """zd-journal on wildcard tcp ports with replay and control endpoints.

    Pass ports= (a dict side -> "tcp://127.0.0.1:PORT") to restart on the same addresses,
    so connected peers reconnect by themselves, as they would in production; wrapper= a
    command to run it under (e.g. strace)."""

    def __init__(self, path, directory, *args, ports=None, wrapper=()):
        ports = ports or {}

        def endpoint(side):
            return "@" + ports.get(side, "tcp://127.0.0.1:*")

        super().__init__(*wrapper, path, "--dir", directory, "-f", endpoint("frontend"), "-b",
                         endpoint("backend"), "--replay", endpoint("replay"), "--control",
                         endpoint("control"), *args)
        self.name = os.path.basename(path)  # the ready line names the journal

    def ports(self):
        return {side: self.address(side) for side in ("frontend", "backend", "replay", "control")}


class Producer:
    """"PUB producer-id seq base" frame... -> "ACK producer-id seq" (cumulative) or
    "NACK producer-id expected" (resend from there). base is the oldest unacknowledged seq."""

    def __init__(self, context, endpoint, producer_id, first_seq=1):
        # No send limit: a test publishes its whole window up front, and a journal that
        # died must not leave the test blocked in send.
        self.socket = new_socket(context, zmq.DEALER, endpoint, sndhwm=0)
        self.producer_id = b(producer_id)
        self.next_seq = first_seq
        self.acked = first_seq - 1
        self.unacked = {}  # seq -> frames, until acknowledged (dicts keep insertion order)
        self.nacks = 0
        self._last_resend = (None, 0.0)  # (expected, when): repeated NACKs resend once

    def _send(self, seq, frames):
        base = next(iter(self.unacked))
        self.socket.send_multipart([b"PUB %s %d %d" % (self.producer_id, seq, base), *frames])

    def publish(self, *frames):
        seq = self.next_seq
        self.next_seq += 1
        frames = [b(frame) for frame in frames]
        self.unacked[seq] = frames
        self._send(seq, frames)
        return seq

    def resend_unacked(self, start=0):
        for seq, frames in list(self.unacked.items()):
            if seq >= start:
                self._send(seq, frames)

    def handle(self, frames):
        """Applies one message from the journal; returns the newly acknowledged seqs."""
        check(len(frames) == 1, f"expected one header frame, got {frames!r}")
        tokens = frames[0].split(b" ")
        if tokens[0] == b"ERR":
            raise TestFailure(f"journal refused a PUB: {frames!r}")
        check(tokens[0] in (b"ACK", b"NACK") and len(tokens) == 3 and
              tokens[1] == self.producer_id,
              f"expected ACK/NACK {self.producer_id!r} SEQ, got {frames!r}")
        seq = int(tokens[2])
        if tokens[0] == b"NACK":
            self.nacks += 1
            expected, when = self._last_resend
            if expected != seq or time.monotonic() - when > 1.0:
                self._last_resend = (seq, time.monotonic())
                self.resend_unacked(seq)
            return []
        newly = []
        while self.unacked and next(iter(self.unacked)) <= seq:
            newly.append(self.unacked.pop(next(iter(self.unacked))))
        self.acked = max(self.acked, seq)
        return newly

    def wait_acked(self, seq, timeout_ms=TIMEOUT_MS):
        deadline = time.monotonic() + timeout_ms / 1000
        while self.acked < seq:
            left = int((deadline - time.monotonic()) * 1000)
            check(left > 0, f"no ACK for seq {seq} within {timeout_ms} ms (acked {self.acked})")
            self.handle(recv_multipart(self.socket, left, f"ACK for seq {seq}"))

    def close(self):
        self.socket.close(linger=0)


class Consumer:
    """"SUB name [position [window]]" -> "REC offset ts" frame...; "ACK offset"."""

    def __init__(self, context, endpoint, name, position=None, window=None):
        self.socket = new_socket(context, zmq.DEALER, endpoint)
        self.name = b(name)
        self.subscribe(position, window)

    def subscribe(self, position=None, window=None):
        tokens = [b"SUB", self.name]
        if position is not None or window is not None:
            tokens.append(b(position if position is not None else "stored"))
        if window is not None:
            tokens.append(b(window))
        self.socket.send(b" ".join(tokens))

    def receive(self, timeout_ms=TIMEOUT_MS, what="a record"):
        """(offset, timestamp_ns, frames) of the next record."""
        frames = recv_multipart(self.socket, timeout_ms, what)
        return parse_record(frames)

    def ack(self, offset):
        self.socket.send(b"ACK %d" % offset)

    def close(self):
        self.socket.close(linger=0)


def parse_record(frames):
    """(offset, timestamp_ns, frames) of a "REC offset ts" message."""
    tokens = frames[0].split(b" ")
    check(len(frames) >= 2 and len(tokens) == 3 and tokens[0] == b"REC",
          f"expected REC offset ts + frames, got {frames[:4]!r}")
    return int(tokens[1]), int(tokens[2]), frames[1:]


def read(context, endpoint, position, count, timeout_ms=TIMEOUT_MS):
    """READ position count on the replay socket: ([(offset, ts, frames)], next offset)."""
    socket = new_socket(context, zmq.DEALER, endpoint)
    try:
        socket.send(b"READ %s %s" % (b(position), b(count)))
        records = []
        while True:
            frames = recv_multipart(socket, timeout_ms, f"REC or END for READ {position}")
            tokens = frames[0].split(b" ")
            if tokens[0] == b"END":
                check(len(frames) == 1 and len(tokens) == 2, f"bad END: {frames!r}")
                return records, int(tokens[1])
            if tokens[0] == b"ERR":
                return frames, None
            records.append(parse_record(frames))
    finally:
        socket.close(linger=0)

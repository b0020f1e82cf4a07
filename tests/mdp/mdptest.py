"""Shared helpers for zd-broker's script tests: the Majordomo frame tables written out as
plain bytes (7/MDP for 0.1, 18/MDP for 0.2), a broker process with its control socket, and
small pyzmq clients and workers that speak the protocol frame by frame.

Nothing here uses the project's own MDP code: the peers are built from the RFC tables, so a
test catches the broker and the codec agreeing on something the RFC does not say.
Process handling and timeouts come from tests/support/zdinterop.py.
"""

import json
import os
import sys
import time

import zmq

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from zdinterop import Device, TestFailure, check, new_socket, recv_multipart, run  # noqa: E402,F401

TIMEOUT_MS = 5000

# 7/MDP (MDP/0.1)
C01 = b"MDPC01"
W01 = b"MDPW01"
W01_READY, W01_REQUEST, W01_REPLY, W01_HEARTBEAT, W01_DISCONNECT = (
    b"\x01", b"\x02", b"\x03", b"\x04", b"\x05")
# 18/MDP (MDP/0.2)
C02 = b"MDPC02"
W02 = b"MDPW02"
C02_REQUEST, C02_PARTIAL, C02_FINAL = b"\x01", b"\x02", b"\x03"
W02_READY, W02_REQUEST, W02_PARTIAL, W02_FINAL, W02_HEARTBEAT, W02_DISCONNECT = (
    b"\x01", b"\x02", b"\x03", b"\x04", b"\x05", b"\x06")


def b(text):
    return text if isinstance(text, bytes) else str(text).encode()


class Broker(Device):
    """zd-broker on a wildcard tcp port with a control endpoint; extra args are passed on."""

    def __init__(self, path, *args):
        super().__init__(path, "-e", "@tcp://127.0.0.1:*", "--control", "@tcp://127.0.0.1:*",
                         *args)
        self.context = None

    @property
    def endpoint(self):
        return self.address("endpoint")

    def broker_stats(self):
        return self.stats()["broker"]

    def wait_stats(self, predicate, what, timeout_s=5.0):
        """Asks STATS until predicate(its "broker" object) holds."""
        return super().wait_stats(predicate, what, timeout_s, section="broker")


class Worker:
    """A worker on a DEALER socket, speaking 0.1 (with the empty frame, like the zguide's
    mdwrkapi) or 0.2 (without, as 18/MDP says)."""

    def __init__(self, context, endpoint, service, version=1, identity=None):
        self.version = version
        self.service = b(service)
        options = {"routing_id": b(identity)} if identity else {}
        self.socket = new_socket(context, zmq.DEALER, endpoint, **options)
        self.served = 0
        self.last_heartbeat = time.monotonic()

    def _prefix(self):
        return [b"", W01] if self.version == 1 else [W02]

    def send_command(self, command, *frames):
        self.socket.send_multipart(self._prefix() + [command, *frames])

    def ready(self):
        self.send_command(W01_READY if self.version == 1 else W02_READY, self.service)

    def heartbeat(self):
        self.send_command(W01_HEARTBEAT if self.version == 1 else W02_HEARTBEAT)
        self.last_heartbeat = time.monotonic()

    def heartbeat_if_due(self, every_s):
        if time.monotonic() - self.last_heartbeat >= every_s:
            self.heartbeat()

    def disconnect(self):
        self.send_command(W01_DISCONNECT if self.version == 1 else W02_DISCONNECT)

    def parse(self, frames):
        """(command, rest) of a message from the broker; checks the header shape."""
        prefix = self._prefix()
        check(frames[:len(prefix)] == prefix,
              f"worker {self.service!r} v0.{self.version}: bad header in {frames!r}")
        check(len(frames) > len(prefix), f"no command frame in {frames!r}")
        return frames[len(prefix)], frames[len(prefix) + 1:]

    def receive(self, timeout_ms=TIMEOUT_MS, what="a message from the broker"):
        return self.parse(recv_multipart(self.socket, timeout_ms, what))

    def receive_request(self, timeout_ms=TIMEOUT_MS):
        """(client address, body frames) of the next REQUEST, skipping heartbeats."""
        deadline = time.monotonic() + timeout_ms / 1000
        heartbeat = W01_HEARTBEAT if self.version == 1 else W02_HEARTBEAT
        while True:
            left = max(1, int((deadline - time.monotonic()) * 1000))
            command, rest = self.receive(left, f"a REQUEST for {self.service!r}")
            if command == heartbeat:
                continue
            check(command == W01_REQUEST, f"expected REQUEST, got command {command!r}: {rest!r}")
            check(len(rest) >= 3 and rest[1] == b"",
                  f"REQUEST is not client, empty, body+: {rest!r}")
            return rest[0], rest[2:]

    def try_request(self):
        """(client address, body) if the waiting message is a REQUEST; None if it was a
        HEARTBEAT. Call when the socket is readable."""
        command, rest = self.parse(self.socket.recv_multipart())
        if command == (W01_HEARTBEAT if self.version == 1 else W02_HEARTBEAT):
            return None
        check(command == W01_REQUEST, f"expected REQUEST, got command {command!r}: {rest!r}")
        check(len(rest) >= 3 and rest[1] == b"", f"REQUEST is not client, empty, body+: {rest!r}")
        return rest[0], rest[2:]

    def reply(self, client, *body):
        self.send_command(W01_REPLY if self.version == 1 else W02_FINAL, client, b"", *body)
        self.served += 1

    def partial(self, client, *body):
        check(self.version == 2, "PARTIAL is 0.2 only")
        self.send_command(W02_PARTIAL, client, b"", *body)

    def close(self):
        self.socket.close(linger=0)


def client_request_v01(socket, service, *body):
    """A 0.1 request on a REQ socket (REQ adds the empty delimiter)."""
    socket.send_multipart([C01, b(service), *[b(frame) for frame in body]])


def client_request_v02(socket, service, *body):
    """A 0.2 request on a DEALER socket: no empty frame."""
    socket.send_multipart([C02, C02_REQUEST, b(service), *[b(frame) for frame in body]])


def mmi(context, broker, service, body, version=1):
    """Asks the broker an MMI question; returns the reply body frames."""
    if version == 1:
        socket = new_socket(context, zmq.REQ, broker.endpoint)
        client_request_v01(socket, service, body)
        reply = recv_multipart(socket, TIMEOUT_MS, f"an answer to {service}")
        check(reply[:2] == [C01, b(service)], f"bad 0.1 MMI reply header: {reply!r}")
        body_frames = reply[2:]
    else:
        socket = new_socket(context, zmq.DEALER, broker.endpoint)
        client_request_v02(socket, service, body)
        reply = recv_multipart(socket, TIMEOUT_MS, f"an answer to {service}")
        check(reply[:3] == [C02, C02_FINAL, b(service)], f"bad 0.2 MMI reply header: {reply!r}")
        body_frames = reply[3:]
    socket.close(linger=0)
    return body_frames

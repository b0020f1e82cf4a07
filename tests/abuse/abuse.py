"""Shared helpers for the abuse tests (issue 14, "Limits that hold under abuse"): each device
started for real, a well-behaved peer per device that sends and gets an answer (so a test can
check the device keeps serving while it is abused), and the device's resident memory.

The well-behaved peers are plain pyzmq sockets written from the protocol tables (7/MDP, the
journal's wire protocol), like the other script tests; process handling comes from
tests/support/zdinterop.py.
"""

import os
import resource
import sys
import time

import zmq

HERE = os.path.dirname(os.path.abspath(__file__))
for folder in ("support", "journal", "mdp"):
    sys.path.insert(0, os.path.join(HERE, "..", folder))

from zdinterop import (Device, TestFailure, check, engine_device, new_socket,  # noqa: E402,F401
                       recv_multipart, run)

TIMEOUT_MS = 5000
LOCALHOST = "@tcp://127.0.0.1:*"


def rss_kib(device):
    """The device process's resident memory in KiB (VmRSS from /proc/PID/status)."""
    with open(f"/proc/{device.process.pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise TestFailure(f"no VmRSS for {device.name}")


def sanitized(device):
    """True if the device runs with a sanitizer runtime mapped (gcc links libasan
    dynamically): its RSS then measures quarantine and shadow memory, not the device."""
    with open(f"/proc/{device.process.pid}/maps") as maps:
        return any(name in line for line in maps for name in ("libasan", "libtsan", "libmsan"))


def check_rss(device, bound_kib, label):
    """Fails if the device's RSS is over bound_kib; on a sanitizer build only reports it."""
    rss = rss_kib(device)
    if sanitized(device):
        print(f"{label}: {device.name} RSS {rss} KiB (sanitizer build: not checked)")
        return rss
    print(f"{label}: {device.name} RSS {rss} KiB (bound {bound_kib} KiB)")
    check(rss <= bound_kib, f"{label}: {device.name} uses {rss} KiB, over {bound_kib} KiB")
    return rss


def check_alive(device):
    code = device.process.poll()
    check(code is None, f"{device.name} exited (code {code}) under abuse")


def raise_fd_limit():
    """Raises this process's soft limit on descriptors to its hard limit; returns it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


class StreamerPeer:
    """PUSH into the frontend, PULL from the backend: each round trip sends a tag and waits
    until it comes out."""

    def __init__(self, context, device):
        self.push = new_socket(context, zmq.PUSH, device.address("frontend"))
        self.pull = new_socket(context, zmq.PULL, device.address("backend"))
        self.count = 0

    def round_trip(self, timeout_ms=TIMEOUT_MS):
        self.count += 1
        tag = b"good %d" % self.count
        self.push.send(tag)
        while True:  # earlier round trips' tags may still arrive after a timeout
            got = recv_multipart(self.pull, timeout_ms, f"{tag!r} through the streamer")
            if got == [tag]:
                return

    def close(self):
        self.push.close(linger=0)
        self.pull.close(linger=0)


class QueuePeer:
    """A DEALER client and a DEALER worker that echoes: each round trip is a request to the
    worker and its reply back to the client."""

    def __init__(self, context, device):
        self.client = new_socket(context, zmq.DEALER, device.address("frontend"))
        self.worker = new_socket(context, zmq.DEALER, device.address("backend"))
        self.count = 0

    def round_trip(self, timeout_ms=TIMEOUT_MS):
        self.count += 1
        tag = b"good %d" % self.count
        self.client.send_multipart([b"", tag])
        while True:
            request = recv_multipart(self.worker, timeout_ms, f"{tag!r} at the worker")
            self.worker.send_multipart(request)
            if request[-1] == tag:
                break
        while True:
            reply = recv_multipart(self.client, timeout_ms, f"the reply to {tag!r}")
            if reply[-1] == tag:
                return

    def close(self):
        self.client.close(linger=0)
        self.worker.close(linger=0)


class ForwarderPeer:
    """A PUB into the frontend and a SUB on the backend (topic "good"): each round trip
    publishes until the tag arrives (the first ones may go before the subscription has
    reached the publisher)."""

    def __init__(self, context, device):
        self.pub = new_socket(context, zmq.PUB, device.address("frontend"))
        self.sub = new_socket(context, zmq.SUB, device.address("backend"))
        self.sub.setsockopt(zmq.SUBSCRIBE, b"good")
        self.count = 0

    def round_trip(self, timeout_ms=TIMEOUT_MS):
        self.count += 1
        tag = b"good %d" % self.count
        deadline = time.monotonic() + timeout_ms / 1000
        while True:
            self.pub.send(tag)
            if self.sub.poll(50, zmq.POLLIN):
                while self.sub.poll(0, zmq.POLLIN):
                    if self.sub.recv() == tag:
                        return
            check(time.monotonic() < deadline, f"{tag!r} never came through the forwarder")

    def close(self):
        self.pub.close(linger=0)
        self.sub.close(linger=0)


class BrokerPeer:
    """A Majordomo 0.1 client on a DEALER asking mmi.service about a service nobody offers:
    the broker itself answers 404, so no worker is needed."""

    def __init__(self, context, device):
        self.socket = new_socket(context, zmq.DEALER, device.address("endpoint"))

    def round_trip(self, timeout_ms=TIMEOUT_MS):
        self.socket.send_multipart([b"", b"MDPC01", b"mmi.service", b"nobody"])
        reply = recv_multipart(self.socket, timeout_ms, "an mmi.service answer")
        check(reply == [b"", b"MDPC01", b"mmi.service", b"404"],
              f"unexpected mmi.service answer {reply!r}")

    def close(self):
        self.socket.close(linger=0)


class JournalPeer:
    """A journal producer (DEALER): each round trip publishes one record and waits for its
    ACK, which the journal sends once the record is stored."""

    def __init__(self, context, device):
        from journaltest import Producer
        self.producer = Producer(context, device.address("frontend"), "good")

    def round_trip(self, timeout_ms=TIMEOUT_MS):
        self.producer.wait_acked(self.producer.publish(b"good record"), timeout_ms)

    def close(self):
        self.producer.close()


PEERS = {"zd-streamer": StreamerPeer, "zd-queue": QueuePeer, "zd-forwarder": ForwarderPeer,
         "zd-broker": BrokerPeer, "zd-journal": JournalPeer}


def start_device(path, engine=None, *args, directory=None):
    """The device at path on wildcard tcp ports with a tcp control endpoint (and --engine for
    the proxy devices, --dir for the journal), not yet entered."""
    name = os.path.basename(path)
    control = ("--control", LOCALHOST)
    if name == "zd-broker":
        return Device(path, "-e", LOCALHOST, *control, *args)
    if name == "zd-journal":
        return Device(path, "--dir", directory, "-f", LOCALHOST, "-b", LOCALHOST, *control,
                      *args)
    extra = ("--engine", engine) if engine else ()
    return Device(path, "-f", LOCALHOST, "-b", LOCALHOST, *control, *extra, *args)


def data_side(device):
    """The side abusive clients connect to: the broker's one endpoint, else the frontend."""
    return "endpoint" if device.name == "zd-broker" else "frontend"

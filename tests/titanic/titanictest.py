"""Shared helpers for zd-titanic's script tests: the broker, the Titanic device on its own
directory, an echo worker, and a Titanic client written straight from 9/TSP and 7/MDP the
way the zguide's ticlient works (mdcliapi: MDP/0.1 over a REQ socket, a timeout, then a new
socket and a retry: the "lazy pirate").

Nothing here uses the project's own MDP or Titanic code: the peers are built from the RFC
frames, so a test catches the device agreeing with itself on something the RFC does not say.
Process handling and timeouts come from tests/support/zdinterop.py, MDP frames from
tests/mdp/mdptest.py.
"""

import json
import os
import re
import subprocess
import sys
import time

import zmq

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
sys.path.insert(0, os.path.join(HERE, "..", "mdp"))
import zdinterop  # noqa: E402
from zdinterop import Device, TestFailure, check, new_socket, recv_multipart  # noqa: E402,F401
from mdptest import C01, C02, C02_FINAL, C02_REQUEST, Broker, b, mmi  # noqa: E402,F401

TIMEOUT_MS = 5000
UUID = re.compile(rb"^[0-9a-fA-F]{32}$")


def run(test, deadline_s=20):
    """zdinterop.run with this test's own whole-test deadline."""
    zdinterop.TEST_DEADLINE_S = deadline_s
    return zdinterop.run(test)


class Titanic(Device):
    """zd-titanic on DIR, connected to the broker, with a control endpoint. Heartbeats as
    fast as the test broker's (pass the same heartbeat_ms to both)."""

    def __init__(self, path, directory, broker_endpoint, *args, heartbeat_ms=250):
        super().__init__(path, "--dir", directory, "--broker", broker_endpoint, "--control",
                         "@tcp://127.0.0.1:*", "--heartbeat-interval", str(heartbeat_ms), *args)


def start_broker(path, heartbeat_ms=250):
    return Broker(path, "--heartbeat-interval", str(heartbeat_ms))


class EchoWorker:
    """zd-worker --echo for SERVICE (replies with the request body, frame for frame), in its
    own process so tests can kill it. Ready once the broker says the service has a worker."""

    def __init__(self, path, context, broker, service="echo", concurrency=1, heartbeat_ms=250):
        self.context = context
        self.broker = broker
        self.service = service
        self.command = [path, "-b", broker.endpoint, "--echo", "-c", str(concurrency),
                        "--heartbeat-interval", str(heartbeat_ms), service]
        self.process = None

    def __enter__(self):
        self.process = subprocess.Popen(self.command, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 5
        while mmi(self.context, self.broker, "mmi.service", self.service) != [b"200"]:
            check(self.process.poll() is None, f"zd-worker exited ({self.process.returncode})")
            check(time.monotonic() < deadline, f"no {self.service} worker registered in 5 s")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return False


class TitanicClient:
    """What the zguide's ticlient does through mdcliapi: MDP/0.1 requests on a REQ socket;
    no answer within timeout_ms -> close the socket, open a new one, send again (workers and
    Titanic services are idempotent enough for that), up to retries times."""

    def __init__(self, context, endpoint, timeout_ms=2500, retries=3):
        self.context = context
        self.endpoint = endpoint
        self.timeout_ms = timeout_ms
        self.retries = retries
        self.socket = None
        self.attempts = 0
        self._connect()

    def _connect(self):
        if self.socket is not None:
            self.socket.close(linger=0)
        self.socket = new_socket(self.context, zmq.REQ, self.endpoint)

    def send(self, service, *body):
        """The reply body (status first), or None once every attempt timed out."""
        for _ in range(self.retries + 1):
            self.attempts += 1
            self.socket.send_multipart([C01, b(service), *[b(frame) for frame in body]])
            if self.socket.poll(self.timeout_ms, zmq.POLLIN):
                reply = self.socket.recv_multipart()
                check(len(reply) >= 3 and reply[0] == C01 and reply[1] == b(service),
                      f"bad MDP/0.1 reply to {service}: {reply!r}")
                return reply[2:]
            self._connect()
        return None

    def call(self, service, *body):
        reply = self.send(service, *body)
        check(reply is not None, f"no answer to {service} {body!r} after "
                                 f"{self.retries + 1} attempts")
        return reply

    def request(self, service, *body):
        """titanic.request -> the UUID (asserts 200 and the UUID's shape)."""
        reply = self.call("titanic.request", service, *body)
        check(len(reply) == 2 and reply[0] == b"200" and UUID.match(reply[1]),
              f"titanic.request {service}: expected 200 + UUID, got {reply!r}")
        return reply[1]

    def wait_reply(self, uuid, timeout_s=5.0):
        """Polls titanic.reply until 200; returns the body. 300 means not yet."""
        deadline = time.monotonic() + timeout_s
        while True:
            reply = self.call("titanic.reply", uuid)
            if reply[0] == b"200":
                return reply[1:]
            check(reply == [b"300"], f"titanic.reply {uuid!r}: expected 200 or 300, got {reply!r}")
            check(time.monotonic() < deadline, f"no reply for {uuid!r} within {timeout_s} s")
            time.sleep(0.02)

    def close(self):
        self.socket.close(linger=0)

"""Helpers for the federation tests: hubs (zd-broker processes on ipc endpoints in a temporary
directory, so that brokers can name each other before any of them starts), MDP/0.2 calls, and
the workers of tests/mdp/mdptest.py. Nothing here uses the project's own code."""

import os
import tempfile
import threading
import time

import zmq

from mdptest import (C02, C02_FINAL, TIMEOUT_MS, Device, TestFailure, Worker, b, check,  # noqa: F401
                     client_request_v02, new_socket, recv_multipart, run)


class Hub(Device):
    """A zd-broker named name on ipc://DIR/name, joined to the hubs named in peers."""

    def __init__(self, path, directory, name, peers=(), *args):
        self.hub = name
        self.directory = directory
        peer_args = []
        for peer in peers:
            peer_args += ["--peer", f">{Hub.address_of(directory, peer)}"]
        super().__init__(path, "-e", f"@{Hub.address_of(directory, name)}", "--control",
                         f"@ipc://{directory}/{name}.ctl", "--name", name, *peer_args, *args)

    @staticmethod
    def address_of(directory, name):
        return f"ipc://{directory}/{name}"

    @property
    def endpoint(self):
        return self.address("endpoint")

    def broker(self):
        return self.stats()["broker"]

    def wait_broker(self, predicate, what, timeout_s=5.0):
        return self.wait_stats(predicate, what, timeout_s, section="broker")

    def service_available(self, context, service):
        return mmi_service(context, self.endpoint, service) == b"200"


def temporary_directory():
    return tempfile.TemporaryDirectory(prefix="zd-fed-")


def call(context, endpoint, service, body, timeout_ms=TIMEOUT_MS):
    """One MDP/0.2 request; the final reply's body frames."""
    socket = new_socket(context, zmq.DEALER, endpoint)
    try:
        client_request_v02(socket, service, body)
        reply = recv_multipart(socket, timeout_ms, f"the reply from {service!r}")
        check(reply[:3] == [C02, C02_FINAL, b(service)], f"bad reply header: {reply!r}")
        return reply[3:]
    finally:
        socket.close(linger=0)


def mmi_service(context, endpoint, service):
    return call(context, endpoint, "mmi.service", service)[0]


def wait_until(predicate, what, timeout_s=5.0, step_s=0.002):
    """Polls predicate until it holds; the time it took, in seconds."""
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > timeout_s:
            raise TestFailure(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(step_s)
    return time.monotonic() - start


class AnsweringWorker(threading.Thread):
    """A 0.2 worker on its own thread that answers every request with its name (and counts
    them), heartbeating every heartbeat_s. stop() ends it and closes its socket."""

    def __init__(self, context, endpoint, service, answer, heartbeat_s=0.5):
        super().__init__(daemon=True)
        self.context, self.endpoint, self.service = context, endpoint, service
        self.answer = b(answer)
        self.heartbeat_s = heartbeat_s
        self.served = 0
        self.stopping = threading.Event()
        self.registered = threading.Event()
        self.start()
        self.registered.wait(5)

    def run(self):
        worker = Worker(self.context, self.endpoint, self.service, version=2)
        worker.ready()
        self.registered.set()
        try:
            while not self.stopping.is_set():
                if worker.socket.poll(20, zmq.POLLIN):
                    request = worker.try_request()
                    if request is not None:
                        worker.reply(request[0], self.answer)
                        self.served += 1
                worker.heartbeat_if_due(self.heartbeat_s)
        finally:
            worker.close()

    def stop(self):
        self.stopping.set()
        self.join(5)


def link_named(broker_stats, peer):
    return [link for link in broker_stats["links"] if link["peer"] == peer]


def links_up_to(broker_stats, peer):
    return any(link["up"] for link in link_named(broker_stats, peer))


def env_or(name, default):
    return os.environ.get(name, default)

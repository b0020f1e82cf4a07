"""A worker killed with SIGKILL while it holds a request: the client still gets its answer,
from another worker, at once (the closed connection is noticed, not a missed heartbeat).

    REQ client --"precious"--> [zd-broker] --> holder  (own process: takes it, never answers)
                                           \\-> rescuer (own process, echo)
    kill -9 holder  =>  broker requeues "precious" at the front  =>  rescuer answers it

The broker runs with a 1 s x 5 heartbeat, so expiry would take 5 s: the answer must come
well before that, and STATS must show retried 1 and workers_expired 0.
Then the same with no other worker alive: the request waits in the queue for the next one.

Usage: test_worker_killed.py PATH/TO/zd-broker
"""

import os
import selectors
import signal
import subprocess
import sys
import time

import zmq

from mdptest import (C01, Broker, TestFailure, check, client_request_v01, new_socket,
                     recv_multipart, run)

WORKER_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mdp_worker.py")
_children = []


class WorkerProcess:
    def __init__(self, endpoint, service, mode, name):
        self.name = name
        self.process = subprocess.Popen(
            [sys.executable, WORKER_SCRIPT, endpoint, service, mode, name, "200"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, bufsize=0)
        _children.append(self)
        self.buffer = b""

    def wait_line(self, prefix, timeout_s=5.0):
        """The next stdout line starting with prefix; TestFailure on timeout or exit."""
        deadline = time.monotonic() + timeout_s
        selector = selectors.DefaultSelector()
        selector.register(self.process.stdout, selectors.EVENT_READ)
        try:
            while True:
                line, newline, rest = self.buffer.partition(b"\n")
                if newline:
                    self.buffer = rest
                    if line.startswith(prefix.encode()):
                        return line.decode()
                    continue
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TestFailure(f"worker {self.name} printed no {prefix!r} line "
                                      f"in {timeout_s} s")
                if selector.select(left):
                    chunk = os.read(self.process.stdout.fileno(), 4096)
                    if not chunk:
                        raise TestFailure(f"worker {self.name} exited "
                                          f"({self.process.wait()}) before {prefix!r}")
                    self.buffer += chunk
        finally:
            selector.close()

    def kill9(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(5)

    def stop(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)
        self.process.stdout.close()


def test(context, broker_path):
    try:
        run_test(context, broker_path)
    finally:
        for child in _children:
            child.stop()


def run_test(context, broker_path):
    with Broker(broker_path, "--heartbeat-interval", "1000", "--heartbeat-liveness", "5") as broker:
        holder = WorkerProcess(broker.endpoint, "echo", "hold", "holder")
        holder.wait_line("ready")
        broker.wait_stats(lambda s: s["workers"] == 1, "the holder's READY")

        client = new_socket(context, zmq.REQ, broker.endpoint)
        client_request_v01(client, "echo", "precious")
        holder.wait_line("holding precious")

        rescuer = WorkerProcess(broker.endpoint, "echo", "echo", "rescuer")
        broker.wait_stats(lambda s: s["workers"] == 2, "the rescuer's READY")
        check(not client.poll(0), "the client got an answer while the holder held its request")

        killed_at = time.monotonic()
        holder.kill9()
        reply = recv_multipart(client, 3000, "the answer after the holder was killed")
        took = time.monotonic() - killed_at
        check(reply == [C01, b"echo", b"rescuer:precious"], f"client got {reply!r}")
        check(took < 2.0, f"answer took {took:.2f} s: noticed by heartbeat, not by the close")
        stats = broker.broker_stats()
        check(stats["retried"] == 1, f"retried: {stats}")
        check(stats["workers_expired"] == 0, f"workers_expired: {stats}")
        check(stats["failed"] == 0 and stats["workers"] == 1, f"stats: {stats}")
        check(stats["services"]["echo"]["retried"] == 1, f"service stats: {stats}")

        # The rescuer is killed in turn while it holds nothing; a request now waits in the
        # queue (no worker alive), and the next worker to come serves it.
        rescuer.kill9()
        broker.wait_stats(lambda s: s["workers"] == 0, "the rescuer's connection closing")
        client_request_v01(client, "echo", "patient")
        broker.wait_stats(lambda s: s["services"]["echo"]["queued"] == 1, "the queued request")
        WorkerProcess(broker.endpoint, "echo", "echo", "latecomer")
        reply = recv_multipart(client, 5000, "the answer from the latecomer")
        check(reply == [C01, b"echo", b"latecomer:patient"], f"client got {reply!r}")
        stats = broker.broker_stats()
        check(stats["replies"] == 2 and stats["retried"] == 1, f"stats: {stats}")
        check(stats["workers_expired"] == 0, f"workers_expired: {stats}")
        client.close(linger=0)


if __name__ == "__main__":
    raise SystemExit(run(test))

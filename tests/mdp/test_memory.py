"""zd-broker's resident memory stays flat: through many requests, many client connections,
and a stream of service names that are created, expire and are forgotten.

    C clients (DEALER, 0.1 and 0.2, W in flight each)       zd-worker --echo (0.1 and 0.2)
        client --request("echo", tag, payload)-->  [zd-broker]  --> worker: echoes the body
               <--reply("echo", tag, payload)--     |    ^
                                                     |    | STATS on the control socket
    a DEALER: requests for unknown.<i> ------------->|    | (the test waits on the broker's
              (no worker: each expires, or is        |    |  state, never on a sleep)
               refused at --max-services)            |
    a DEALER: mmi.service "nobody.<i>" --404-------->/

The broker runs with a short --request-timeout and --service-ttl, so whatever a phase leaves
behind is forgotten within a fraction of a second. After a warm-up (a tenth of every phase, so
that hash tables, malloc's free lists and libzmq's pipes reach their working size) the test
reads VmRSS from /proc/PID/status, then runs
  A  --requests echo round trips (each client reconnects every 5000 requests, so connection
     tracking is exercised too). Clients keep no more requests in flight than there are
     workers, so every request finds an idle worker: none queues, none can expire;
  B1 --names requests for distinct unknown service names, in waves of --wave: each creates a
     service and expires (`expired`), or is refused at --max-services (`rejected`); the
     services are then forgotten;
  B2 --names mmi.service questions about distinct unknown names, each answered 404.
After each phase it waits until STATS shows the broker at rest (only the echo service known,
no clients, nothing queued or in flight), reads VmRSS and fails if it exceeds the warm-up's
peak (VmHWM) by more than --bound-mib.

Why the warm-up's peak, not its VmRSS: at rest the broker's RSS is in one of two states,
about 2 MiB apart, depending on whether glibc could give the top of its heap back after the
last wave of names (4900 services and a STATS reply listing them are the largest working
set). Measured against the warm-up's VmRSS a healthy broker "grew" -0.8 to +2.1 MiB; against
its peak, which every phase's working set has already reached, at most +0.5 MiB, and no more
after 1 M requests or 400 k names than after 100 k. A leak is memory on top of the resting
state, so it shows once it exceeds the bound plus those 2 MiB: the default 3 MiB catches
leaks from about 5 MiB, i.e. 52 bytes per request over the 100 k requests run under CTest,
per name over the 98 k names that create a service, or per MMI question over the 100 k.
(A build that kept every service name failed at about +7 MiB over the peak, 85 B per name;
one that leaked 88 B per request, at about +7.5 MiB.)

Under AddressSanitizer RSS means nothing (quarantine, shadow memory): with --sanitized, or if
the broker has a sanitizer runtime mapped, the test prints SKIP and exits 77, which CTest
reports as skipped.

Usage: test_memory.py [BROKER [WORKER]] [--requests N] [--names N] [--bound-mib M] ...
  BROKER defaults to build/devices/zd-broker, WORKER to zd-worker in the same build tree.
  CTest:      --requests 100000 --names 100000 (the defaults; about 30 s on a busy 2-core box)
  benchmark:  python3 tests/mdp/test_memory.py --requests 1000000 --names 100000
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

import zmq

from mdptest import (C01, C02, C02_FINAL, C02_REQUEST, Broker, TestFailure, check, new_socket,
                     run)
import zdinterop  # noqa: E402 (mdptest puts tests/support on the path)

SKIP_EXIT_CODE = 77
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HEARTBEAT_MS = 1000
HEARTBEAT_LIVENESS = 10         # broker and workers: no peer is meant to die here, so a CPU
                                # starved machine must not make them think one did
RECONNECT_EVERY = 5000          # requests per client connection in phase A
PAYLOAD = bytes(range(64)) * 2  # 128 B: past libzmq's 33-byte inline messages, so every
                                # body is a heap block the broker holds, hands on and frees
SERVICE = b"echo"

# pyzmq's send_multipart/recv_multipart spend more time on flag enums than on the I/O; the
# Cython methods underneath, with plain int flags, double the client's rate.
_send = zmq.backend.Socket.send
_recv = zmq.backend.Socket.recv
_get = zmq.backend.Socket.get
SNDMORE, NOBLOCK, RCVMORE = int(zmq.SNDMORE), int(zmq.NOBLOCK), int(zmq.RCVMORE)


def send_frames(socket, frames):
    for frame in frames[:-1]:
        _send(socket, frame, SNDMORE)
    _send(socket, frames[-1], 0)


def receive_frames(socket):
    """The next message's frames, or None if none is waiting."""
    try:
        frames = [_recv(socket, NOBLOCK)]
    except zmq.Again:
        return None
    while _get(socket, RCVMORE):
        frames.append(_recv(socket, NOBLOCK))
    return frames


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("broker", nargs="?",
                        default=os.path.join(ROOT, "build", "devices", "zd-broker"))
    parser.add_argument("worker", nargs="?", help="zd-worker (default: from the broker's "
                        "build tree, tools/zd-worker/zd-worker)")
    parser.add_argument("--requests", type=int, default=100_000, help="phase A round trips")
    parser.add_argument("--names", type=int, default=100_000,
                        help="phase B: unknown service names requested, and asked about")
    parser.add_argument("--workers", type=int, default=8,
                        help="echo workers per protocol version (two zd-worker processes)")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--window", type=int, default=4, help="requests in flight per client; "
                        "clients x window must not exceed the workers (no request may queue)")
    parser.add_argument("--wave", type=int, default=5000,
                        help="names sent before waiting for the broker to forget them")
    parser.add_argument("--max-services", type=int, default=4900,
                        help="the broker's --max-services (below --wave: 2%% of names refused)")
    parser.add_argument("--request-timeout", type=int, default=100, help="the broker's, ms")
    parser.add_argument("--service-ttl", type=int, default=100, help="the broker's, ms")
    parser.add_argument("--bound-mib", type=float, default=3.0,
                        help="allowed VmRSS growth over the warm-up's peak RSS")
    parser.add_argument("--deadline", type=float, default=None,
                        help="whole-run limit in s (default: scaled to the counts)")
    parser.add_argument("--sanitized", action="store_true",
                        help="the build uses sanitizers: skip (exit 77)")
    arguments = parser.parse_args()
    if arguments.worker is None:
        build = os.path.dirname(os.path.dirname(os.path.abspath(arguments.broker)))
        arguments.worker = os.path.join(build, "tools", "zd-worker", "zd-worker")
    if arguments.clients * arguments.window > 2 * arguments.workers:
        parser.error("--clients x --window must not exceed the workers (2 x --workers)")
    if arguments.deadline is None:
        # A hang is caught sooner (5 s without a reply, 15 s without the awaited STATS): this
        # only bounds a run starved of CPU, at about a quarter of a quiet machine's rate.
        arguments.deadline = 30 + arguments.requests / 2000 + arguments.names / 4000
    return arguments


# ---------------------------------------------------------------------------------------
# The broker process: its memory and its statistics

def memory_kib(pid):
    """VmRSS, RssAnon and VmHWM (peak RSS) of a process, in KiB."""
    values = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "RssAnon", "VmHWM"):
                values[key] = int(rest.split()[0])
    return values


def is_sanitized(pid):
    """True if the process has a sanitizer runtime mapped (gcc links libasan dynamically)."""
    with open(f"/proc/{pid}/maps") as maps:
        return any(name in line for line in maps for name in ("libasan", "libtsan", "libmsan"))


class Stats:
    """STATS on one persistent REQ socket (a new connection per question would churn the
    broker's memory too); waits for a state of the broker, not for a time."""

    def __init__(self, context, broker, workers):
        self.socket = new_socket(context, zmq.REQ, broker.address("control"))
        self.workers = workers

    def get(self):
        self.socket.send(b"STATS")
        check(self.socket.poll(5000), "no answer to STATS within 5 s")
        return json.loads(self.socket.recv())["broker"]

    def wait(self, predicate, what, timeout_s=15.0):
        deadline = time.monotonic() + timeout_s
        while True:
            stats = self.get()
            if predicate(stats):
                return stats
            self.workers.check_running()
            if time.monotonic() > deadline:
                stats["services"] = dict(list(stats["services"].items())[:5])  # keep it short
                raise TestFailure(f"timed out after {timeout_s} s waiting for {what}; "
                                  f"broker stats (first services): {json.dumps(stats)}")
            # STATS lists every service (thousands, mid-wave): ask at most 50 times a second.
            time.sleep(0.02)

    def wait_at_rest(self, what):
        """Only the echo service known, all its workers registered and idle; no clients."""
        def at_rest(stats):
            echo = stats["services"].get(SERVICE.decode())
            return (stats["services_known"] == 1 and stats["clients"] == 0 and echo is not None
                    and echo["queued"] == 0 and echo["in_flight"] == 0
                    and echo["idle_workers"] == self.workers.count)
        return self.wait(at_rest, f"the broker at rest after {what}")

    def close(self):
        self.socket.close(linger=0)


# ---------------------------------------------------------------------------------------
# Peers

class EchoWorkers:
    """Two zd-worker --echo processes, MDP/0.1 and 0.2, --concurrency each. Workers in C++
    leave the test's Python to the clients, whose replies are what it checks."""

    def __init__(self, path, broker, concurrency):
        self.count = 2 * concurrency
        self.processes, self.logs = [], []
        for protocol in ("0.1", "0.2"):
            log = tempfile.TemporaryFile()
            self.logs.append(log)
            self.processes.append(subprocess.Popen(
                [path, "-b", broker.endpoint, "--echo", "--mdp", protocol, "-c",
                 str(concurrency), "--heartbeat-interval", str(HEARTBEAT_MS),
                 "--heartbeat-liveness", str(HEARTBEAT_LIVENESS), SERVICE.decode()],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log))

    def check_running(self):
        for process in self.processes:
            check(process.poll() is None,
                  f"zd-worker exited with {process.returncode}: {self.output()}")

    def output(self):
        texts = []
        for log in self.logs:
            log.seek(0)
            texts.append(log.read().decode(errors="replace").strip())
        return " | ".join(texts)

    def close(self):
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for log in self.logs:
            log.close()


class EchoClient:
    """A DEALER client with a window of requests in flight: 0.1 (with the leading empty
    frame, as asynchronous 0.1 clients send it) or 0.2. Opens a new connection (with a new
    routing id) every RECONNECT_EVERY requests, once the old one has no request left."""

    def __init__(self, context, endpoint, index, window, poller):
        self.context, self.endpoint, self.poller = context, endpoint, poller
        self.index, self.window = index, window
        self.version = 1 + index % 2
        self.header = [b"", C01, SERVICE] if self.version == 1 else [C02, C02_REQUEST, SERVICE]
        self.reply_header = [b"", C01, SERVICE] if self.version == 1 else [C02, C02_FINAL,
                                                                            SERVICE]
        self.outstanding = set()
        self.on_this_socket = 0
        self.reconnects = 0
        self.socket = None
        self._open()

    def _open(self):
        if self.socket is not None:
            self.poller.unregister(self.socket)
            self.socket.close(linger=0)
            self.reconnects += 1
        self.socket = new_socket(self.context, zmq.DEALER, self.endpoint)
        self.poller.register(self.socket, zmq.POLLIN)
        self.on_this_socket = 0

    def send_more(self, budget):
        """Fills the window while budget[0] (requests left to send, shared) lasts."""
        if self.on_this_socket >= RECONNECT_EVERY:
            if self.outstanding:
                return  # let this connection drain first
            self._open()
        while (len(self.outstanding) < self.window and budget[0] > 0
               and self.on_this_socket < RECONNECT_EVERY):
            tag = b"%d" % budget[0]
            send_frames(self.socket, self.header + [tag, PAYLOAD])
            self.outstanding.add(tag)
            budget[0] -= 1
            self.on_this_socket += 1

    def receive(self):
        """Checks every reply waiting: its header, payload and that it answers a request in
        flight. Returns how many arrived."""
        received = 0
        while (frames := receive_frames(self.socket)) is not None:
            check(len(frames) == 5 and frames[:3] == self.reply_header and frames[4] == PAYLOAD,
                  f"client {self.index} (0.{self.version}): bad reply {frames[:4]!r}")
            check(frames[3] in self.outstanding,
                  f"client {self.index}: reply to a request not in flight: {frames[3]!r}")
            self.outstanding.remove(frames[3])
            received += 1
        return received

    def close(self):
        self.poller.unregister(self.socket)
        self.socket.close(linger=0)


# ---------------------------------------------------------------------------------------
# Phases

def phase_echo(context, broker, stats, arguments, count):
    """count echo round trips; returns how many client connections were replaced."""
    before = stats.get()
    poller = zmq.Poller()
    clients = [EchoClient(context, broker.endpoint, i, arguments.window, poller)
               for i in range(arguments.clients)]
    by_socket = {}
    budget = [count]
    received = 0
    progress_at = time.monotonic()
    while received < count:
        for client in clients:
            client.send_more(budget)
            by_socket[client.socket] = client
        for socket, _ in poller.poll(1000):
            arrived = by_socket[socket].receive()
            if arrived:
                received += arrived
                progress_at = time.monotonic()
        if time.monotonic() - progress_at > 5:
            stats.workers.check_running()
            raise TestFailure(f"phase A: no reply for 5 s after {received} of {count}; "
                              f"broker stats: {json.dumps(stats.get())}")
    reconnects = sum(client.reconnects for client in clients)
    for client in clients:
        client.close()
    after = stats.wait(lambda s: s["replies"] - before["replies"] >= count, "every reply")
    check(after["expired"] == before["expired"] and after["rejected"] == before["rejected"],
          f"phase A: echo requests expired or were refused: {json.dumps(after)}")
    return reconnects


def phase_names(context, broker, stats, arguments, count, first):
    """count requests for the distinct names unknown.<first>..., in waves; each wave is left
    to expire and be forgotten before the next. Returns (expired, rejected)."""
    client = new_socket(context, zmq.DEALER, broker.endpoint, sndhwm=arguments.wave + 100)
    before = stats.get()
    sent = 0
    while sent < count:
        wave = min(arguments.wave, count - sent)
        for i in range(first + sent, first + sent + wave):
            send_frames(client, [C02, C02_REQUEST, b"unknown.%d" % i, b"x"])
        sent += wave
        stats.wait(lambda s, seen=before["requests"] + sent: s["requests"] == seen,
                   f"the broker to receive {sent} requests for unknown names")
        stats.wait_at_rest(f"{sent} requests for unknown names")
    after = stats.get()
    client.close(linger=0)
    expired = after["expired"] - before["expired"]
    rejected = after["rejected"] - before["rejected"]
    check(expired + rejected == count,
          f"{count} requests for unknown names: {expired} expired + {rejected} rejected")
    check(after["replies"] == before["replies"], "a request for an unknown name was answered")
    return expired, rejected


def phase_mmi(context, broker, count, first):
    """count mmi.service questions about nobody.<first>...; each must be answered 404."""
    client = new_socket(context, zmq.DEALER, broker.endpoint)
    window = 200  # far below the high-water mark (1000): no answer is dropped
    sent = answered = 0
    while answered < count:
        while sent < count and sent - answered < window:
            send_frames(client, [C02, C02_REQUEST, b"mmi.service", b"nobody.%d" % (first + sent)])
            sent += 1
        check(client.poll(5000), f"mmi.service: no answer for 5 s after {answered} of {count}")
        while (frames := receive_frames(client)) is not None:
            check(frames == [C02, C02_FINAL, b"mmi.service", b"404"],
                  f"mmi.service about an unknown name answered {frames!r}")
            answered += 1
    client.close(linger=0)
    return answered


# ---------------------------------------------------------------------------------------

def progress(started, text):
    """Where the run is, so a deadline failure says which phase was slow."""
    print(f"{time.monotonic() - started:6.1f} s  {text}", flush=True)


def test(context, arguments):
    started = time.monotonic()
    with Broker(arguments.broker, "--heartbeat-interval", str(HEARTBEAT_MS),
                "--heartbeat-liveness", str(HEARTBEAT_LIVENESS),
                "--request-timeout", str(arguments.request_timeout),
                "--service-ttl", str(arguments.service_ttl),
                "--max-services", str(arguments.max_services)) as broker:
        pid = broker.process.pid
        if arguments.sanitized or is_sanitized(pid):
            print("SKIP test_memory.py: sanitizer build, where RSS says nothing about leaks")
            raise SystemExit(SKIP_EXIT_CODE)
        workers = EchoWorkers(arguments.worker, broker, arguments.workers)
        stats = Stats(context, broker, workers)
        try:
            stats.wait(lambda s: s["workers"] == workers.count, "every worker's READY")

            # Warm-up: a tenth of each phase, at least one wave of names.
            warm_requests = max(10_000, arguments.requests // 10)
            warm_names = min(arguments.names, max(arguments.wave, arguments.names // 10))
            progress(started, f"warm-up: {warm_requests} requests, {warm_names} names")
            phase_echo(context, broker, stats, arguments, warm_requests)
            stats.wait_at_rest("the warm-up's requests")
            phase_names(context, broker, stats, arguments, warm_names, first=10_000_000)
            phase_mmi(context, broker, warm_names, first=10_000_000)
            stats.wait_at_rest("the warm-up")
            warm = memory_kib(pid)
            # (label, memory, seconds, note, requests or names in the phase)
            rows = [("warm-up", warm, time.monotonic() - started, "", 0)]

            progress(started, f"A: {arguments.requests} requests")
            phase_started = time.monotonic()
            reconnects = phase_echo(context, broker, stats, arguments, arguments.requests)
            stats.wait_at_rest("phase A")
            rows.append((f"A: {arguments.requests} requests", memory_kib(pid),
                         time.monotonic() - phase_started, f"{reconnects} client reconnects",
                         arguments.requests))

            progress(started, f"B1: {arguments.names} unknown names")
            phase_started = time.monotonic()
            expired, rejected = phase_names(context, broker, stats, arguments, arguments.names,
                                            first=0)
            rows.append((f"B1: {arguments.names} unknown names", memory_kib(pid),
                         time.monotonic() - phase_started,
                         f"{expired} expired, {rejected} rejected", arguments.names))

            progress(started, f"B2: {arguments.names} mmi.service")
            phase_started = time.monotonic()
            answered = phase_mmi(context, broker, arguments.names, first=0)
            stats.wait_at_rest("phase B2")
            rows.append((f"B2: {answered} mmi.service", memory_kib(pid),
                         time.monotonic() - phase_started, "all 404", arguments.names))

            final = stats.get()
            for name in ("protocol_errors", "unroutable_replies", "failed", "retried",
                         "disconnects_sent", "workers_expired", "abandoned"):
                check(final[name] == 0, f"{name} is {final[name]}: {json.dumps(final)}")
        finally:
            stats.close()
            workers.close()

    peak = warm["VmHWM"]
    print(f"zd-broker pid {pid}: VmRSS at rest must stay within {arguments.bound_mib:g} MiB "
          f"of the warm-up's peak ({peak} KiB)")
    print(f"{'after':<30} {'VmRSS KiB':>10} {'vs warm':>8} {'vs peak':>8} {'RssAnon':>8} "
          f"{'VmHWM':>8} {'s':>6}")
    for label, memory, seconds, note, _ in rows:
        print(f"{label:<30} {memory['VmRSS']:>10} {memory['VmRSS'] - warm['VmRSS']:>+8} "
              f"{memory['VmRSS'] - peak:>+8} {memory['RssAnon']:>8} {memory['VmHWM']:>8} "
              f"{seconds:>6.1f}  {note}")
    print(f"total {time.monotonic() - started:.1f} s")
    for previous, (label, memory, _, _, items) in zip(rows, rows[1:]):
        growth = memory["VmRSS"] - peak
        in_phase = memory["VmRSS"] - previous[1]["VmRSS"]
        check(growth < arguments.bound_mib * 1024,
              f"after {label} VmRSS is {growth} KiB ({growth / 1024:.1f} MiB) above the "
              f"warm-up's peak; the bound is {arguments.bound_mib:g} MiB: a leak? This phase "
              f"added {in_phase} KiB, {in_phase * 1024 / items:.0f} bytes per request or name.")


if __name__ == "__main__":
    options = parse_arguments()
    zdinterop.TEST_DEADLINE_S = int(options.deadline)  # run() arms its alarm with this
    del sys.argv[1:]  # run() would pass the command line on; the test takes the options
    raise SystemExit(run(lambda context: test(context, options)))

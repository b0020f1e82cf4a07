"""Shared helpers for the interop tests: a device process as a context manager, and
receive-with-timeout helpers for plain pyzmq sockets.

The tests talk to the real executables over real tcp sockets, exactly as a Python user
would, so they catch what a C++-only test cannot: wire compatibility with another ZeroMQ
binding, and the process contract (ready line, exit codes, signals).
"""

import json
import os
import re
import selectors
import signal
import subprocess
import sys
import time
import traceback

import zmq

# Whole-test bound: a hung device or a lost message must fail the test, never hang CTest.
TEST_DEADLINE_S = 20
READY_TIMEOUT_S = 10
STOP_TIMEOUT_S = 5
STATS_TIMEOUT_MS = 5000

_started = []  # every Device of this run, so a failure report can show their stderr

# The time stamp a program puts in front of each log line when stderr is not a terminal
# (lib/base/log.cpp), as in "2026-12-03T07:01:02.123Z zd-queue: ready ...".
LOG_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ", re.MULTILINE)


def strip_log_time(text):
    """text (one line or many) without the log time stamps at the start of its lines, so tests
    read "zd-queue: ready ..." whether or not the program stamped its lines."""
    return LOG_TIME.sub("", text)


class TestFailure(Exception):
    """An assertion about the device's behaviour did not hold."""


def check(condition, message):
    if not condition:
        raise TestFailure(message)


class Device:
    """Starts a device, waits for its ready line and learns the endpoints from it.

    The ready line looks like (after the time stamp, see strip_log_time)
        zd-queue: ready frontend=@tcp://127.0.0.1:41185 backend=@tcp://127.0.0.1:39089
    and is printed once every socket is attached, so connecting afterwards never races the
    bind. Used as a context manager; leaving the block always ends the process.
    """

    def __init__(self, executable, *args):
        self.name = os.path.basename(executable)
        self.command = [executable, *args]
        self.process = None
        self.endpoints = {}  # side -> list of libzmq addresses, e.g. "tcp://127.0.0.1:41185"
        self.stderr_raw = ""  # stderr after the ready line, as printed (time stamps and all)

    @property
    def stderr_text(self):
        """stderr after the ready line, without the log time stamps."""
        return strip_log_time(self.stderr_raw)

    def __enter__(self):
        _started.append(self)
        self.process = subprocess.Popen(self.command, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                        bufsize=0)
        try:
            self._wait_ready()
        except BaseException:
            self.kill()
            raise
        return self

    def __exit__(self, *exc):
        self.kill()
        return False

    def _wait_ready(self):
        selector = selectors.DefaultSelector()
        selector.register(self.process.stderr, selectors.EVENT_READ)
        deadline = time.monotonic() + READY_TIMEOUT_S
        buffer = b""
        try:
            while b"\n" not in buffer:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TestFailure(f"{self.name} printed no ready line within "
                                      f"{READY_TIMEOUT_S} s; stderr so far: {buffer!r}")
                if not selector.select(left):
                    continue
                chunk = os.read(self.process.stderr.fileno(), 4096)
                if not chunk:
                    raise TestFailure(f"{self.name} exited before it was ready "
                                      f"(exit code {self.process.wait()}): {buffer!r}")
                buffer += chunk
        finally:
            selector.close()
        line, _, rest = buffer.partition(b"\n")
        self.stderr_raw = rest.decode(errors="replace")
        self.ready_line = strip_log_time(line.decode(errors="replace"))
        prefix = f"{self.name}: ready "
        check(self.ready_line.startswith(prefix),
              f"unexpected first stderr line from {self.name}: {self.ready_line!r}")
        for field in self.ready_line[len(prefix):].split():
            side, _, value = field.partition("=")
            addresses = []
            for endpoint in value.split(","):
                check(endpoint[:1] in "@>" and "://" in endpoint,
                      f"bad endpoint {endpoint!r} in ready line {self.ready_line!r}")
                addresses.append(endpoint[1:])
            self.endpoints[side] = addresses

    def address(self, side):
        """The first endpoint of a side, ready to connect to."""
        check(side in self.endpoints, f"ready line has no {side}=: {self.ready_line!r}")
        return self.endpoints[side][0]

    def stats(self):
        """The STATS JSON object from the control endpoint, asked on a fresh REQ socket."""
        context = zmq.Context.instance()
        socket = new_socket(context, zmq.REQ, self.address("control"))
        try:
            socket.send(b"STATS")
            reply = recv_multipart(socket, STATS_TIMEOUT_MS, "a STATS reply")
        finally:
            socket.close(linger=0)
        check(len(reply) == 1, f"STATS answered {len(reply)} frames")
        return json.loads(reply[0])

    def wait_stats(self, predicate, what, timeout_s=5.0, section=None):
        """Asks STATS until predicate(stats, or stats[section]) holds and returns what it
        held for. The device's state is the event waited for: each ask is a round trip."""
        deadline = time.monotonic() + timeout_s
        while True:
            stats = self.stats()
            if section is not None:
                stats = stats[section]
            if predicate(stats):
                return stats
            if time.monotonic() > deadline:
                raise TestFailure(f"timed out after {timeout_s} s waiting for {what}; "
                                  f"{section or 'stats'}: {json.dumps(stats, sort_keys=True)}")
            time.sleep(0.01)

    def wait(self, timeout):
        """Waits for the process to exit; returns its exit code or None on timeout."""
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self):
        """SIGTERM, then the exit code; SIGKILL if it does not stop in time."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        code = self.wait(STOP_TIMEOUT_S)
        check(code is not None, f"{self.name} did not stop within {STOP_TIMEOUT_S} s of SIGTERM")
        return code

    def kill(self):
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            if self.wait(STOP_TIMEOUT_S) is None:
                self.process.kill()
                self.process.wait()
        try:
            self.stderr_raw += self.process.stderr.read().decode(errors="replace")
        except (OSError, ValueError):
            pass
        self.process.stderr.close()


def recv_multipart(socket, timeout_ms, what):
    """One message from socket, or TestFailure naming what was expected."""
    if not socket.poll(timeout_ms, zmq.POLLIN):
        raise TestFailure(f"timed out after {timeout_ms} ms waiting for {what}")
    return socket.recv_multipart(zmq.NOBLOCK)


def new_socket(context, kind, address, **options):
    """A socket with a bounded linger (a test must never hang in close) connected to address."""
    socket = context.socket(kind)
    socket.setsockopt(zmq.LINGER, 0)
    for name, value in options.items():
        socket.setsockopt(getattr(zmq, name.upper()), value)
    socket.connect(address)
    return socket


def _show_device_output():
    for device in _started:
        device.kill()
        print(f"--- {device.name} ({' '.join(device.command[1:])}) stderr:\n"
              f"{getattr(device, 'ready_line', '')}\n{device.stderr_text}", file=sys.stderr)


def engine_device(path, engine, *args):
    """A device started with args, a tcp control endpoint and --engine engine ("native" or
    "libzmq"); check_engine() confirms which one runs."""
    return Device(path, *args, "--control", "@tcp://127.0.0.1:*", "--engine", engine)


def check_engine(device, engine):
    """Fails unless the device's STATS names engine."""
    check(device.stats()["engine"] == engine, f"STATS does not say engine {engine}")


# The data paths of the devices that have both (zd-queue, zd-forwarder, zd-streamer).
ENGINES = ("native", "libzmq")


def run(test):
    """Runs test(executable, ...) with the arguments from the command line and turns the
    outcome into an exit code: 0 pass, 1 fail (with a message saying what went wrong)."""

    def on_alarm(signum, frame):
        raise TestFailure(f"test exceeded its {TEST_DEADLINE_S} s deadline")

    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(TEST_DEADLINE_S)
    name = os.path.basename(sys.argv[0])
    context = zmq.Context()
    try:
        test(context, *sys.argv[1:])
    except TestFailure as failure:
        print(f"FAIL {name}: {failure}", file=sys.stderr)
        _show_device_output()
        return 1
    except Exception:
        print(f"FAIL {name}: unexpected error", file=sys.stderr)
        traceback.print_exc()
        _show_device_output()
        return 1
    finally:
        signal.alarm(0)
        context.destroy(linger=0)
    print(f"PASS {name}")
    return 0

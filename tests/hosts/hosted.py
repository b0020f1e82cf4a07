"""Programs running inside the hosts of a netfabric.Fabric: devices that print a ready line
(zdinterop.Device, run through `ip netns exec`), and tools whose stdout lines the test reads
as they come (subscribers, a publisher fed line by line, clients that finish).

Every process started here is registered, so that one call stops them all (SIGTERM, then
SIGKILL for any that does not stop), before the namespaces they run in are removed.
"""

import os
import queue
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from zdinterop import Device, TestFailure, check  # noqa: E402,F401

STOP_TIMEOUT_S = 3
_processes = []  # every Popen started through this module, for stop_all()


class HostedDevice(Device):
    """A device inside host: started with `ip netns exec`, ready line and STATS as usual
    (control endpoints are ipc sockets in a directory outside the namespaces, which the test
    reaches from where it runs: a path socket belongs to the file system, not to a network
    namespace)."""

    def __init__(self, fabric, host, path, *args):
        super().__init__(fabric.exec_prefix(host)[0], *fabric.exec_prefix(host)[1:], path, *args)
        self.name = os.path.basename(path)  # the ready line's prefix, not "ip"
        self.host = host

    def __enter__(self):
        result = super().__enter__()
        _processes.append(self.process)
        return result


class Tool:
    """A tool inside host, its stdout read line by line on a thread; stderr kept in a file.
    stdin is a pipe when feed=True (a publisher the test writes lines to)."""

    def __init__(self, fabric, host, argv, log_dir, label, feed=False):
        self.label = label
        self.stderr_path = os.path.join(log_dir, f"{label}.stderr")
        self.lines = []  # every stdout line so far, without its newline
        self._arrived = queue.Queue()
        with open(self.stderr_path, "wb") as stderr:
            self.process = subprocess.Popen(
                [*fabric.exec_prefix(host), *argv],
                stdin=subprocess.PIPE if feed else subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=stderr)
        _processes.append(self.process)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for raw in self.process.stdout:
            line = raw.decode(errors="replace").rstrip("\n")
            self.lines.append(line)
            self._arrived.put(line)

    def stderr_text(self):
        with open(self.stderr_path, errors="replace") as stderr:
            return stderr.read()

    def feed(self, line):
        self.process.stdin.write(line.encode() + b"\n")
        self.process.stdin.flush()

    def running(self):
        return self.process.poll() is None

    def finish(self, timeout_s, what):
        """Waits for the tool to exit; (exit code, stdout). Fails naming what was awaited."""
        try:
            code = self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            raise TestFailure(f"{self.label}: {what} did not come within {timeout_s} s; "
                              f"stderr: {self.stderr_text()!r}") from None
        self._reader.join(2)
        return code, "\n".join(self.lines)

    def stop(self):
        stop_process(self.process)


def call(fabric, host, zd_call, broker, service, body, log_dir, label, timeout_ms=5000):
    """zd-call inside host, started (not awaited): a Tool."""
    return Tool(fabric, host, [zd_call, "-b", broker, "--timeout", str(timeout_ms), service,
                               body], log_dir, label)


def answered(tool, expected, timeout_s, what):
    """Fails unless tool (a zd-call) exits 0 printing expected within timeout_s; the time it
    took, in seconds."""
    started = time.monotonic()
    code, out = tool.finish(timeout_s, what)
    check(code == 0 and out.strip() == expected,
          f"{what}: zd-call exit {code}, printed {out!r} (expected {expected!r}); "
          f"stderr: {tool.stderr_text()!r}")
    return time.monotonic() - started


def stop_process(process):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def stop_all():
    """Stops every process started here, the last started first. Never raises."""
    for process in reversed(_processes):
        try:
            stop_process(process)
        except Exception:
            pass


def still_running():
    """The pids of processes started here that have not exited."""
    return [process.pid for process in _processes if process.poll() is None]

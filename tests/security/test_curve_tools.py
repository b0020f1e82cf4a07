"""CURVE for the shell tools (issue 14): zd-send, zd-recv and zd-ctl with certificates from
zd-keygen, against a zd-streamer with CURVE and pyzmq peers written from the RFCs.

    zd-send --curve-cert client_secret --curve-server-key hub
        |  CURVE
        v
    zd-streamer --curve-cert hub_secret --curve-allow allow/   (+ --control, CURVE too)
        |  CURVE                                      ^
        v                                             |  CURVE
    zd-recv --curve-cert client_secret ...          zd-ctl --curve-cert ... stats

  - zd-send -> zd-streamer -> zd-recv round trip, every hop with CURVE;
  - zd-send with a key the streamer does not allow, or without CURVE, delivers nothing and
    exits 1 (no handshake ever completed);
  - zd-recv binding with CURVE (tcp and ipc) is a server: an allowed pyzmq client delivers,
    a stranger's key and a plain-text client are refused;
  - zd-ctl stats reaches the streamer's CURVE control socket with the client's certificate
    and the server's key; without them it fails within its --timeout, exit 1, saying so;
  - fail closed, exit 2 naming the problem, for each tool.

Usage: test_curve_tools.py ZD-KEYGEN ZD-STREAMER ZD-SEND ZD-RECV ZD-CTL
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import zmq

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
import zdinterop  # noqa: E402
from zdcurve import (Keys, close_monitored, exits_2, handshake_outcome,  # noqa: E402
                     monitored)
from zdinterop import Device, TestFailure, check, run, strip_log_time  # noqa: E402

TCP = "@tcp://127.0.0.1:*"
zdinterop.TEST_DEADLINE_S = 60  # four programs, each refused case waits out a timeout


class Tool(Device):
    """A tool that binds (zd-recv @...): started like a device (its ready line on stderr names
    the endpoint), with its stdout kept for the test to read."""

    def __enter__(self):
        zdinterop._started.append(self)
        self.process = subprocess.Popen(self.command, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        bufsize=0)
        try:
            self._wait_ready()
        except BaseException:
            self.kill()
            raise
        return self

    def output(self, timeout_s=10):
        """stdout once the tool has exited, and its exit code."""
        try:
            out, err = self.process.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            raise TestFailure(f"{self.name} did not exit within {timeout_s} s")
        self.stderr_raw += err.decode(errors="replace")
        return out.decode(errors="replace"), self.process.returncode


def client_flags(keys, name="client"):
    return ["--curve-cert", keys.path(name + "_secret"), "--curve-server-key", keys.path("hub")]


def tool(program, *args, timeout=15):
    return subprocess.run([program, *args], stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=timeout)


def round_trip(keys, streamer, send, recv):
    with Device(streamer, "-f", TCP, "-b", TCP, *keys.device_flags()) as device:
        receiver = subprocess.Popen(
            [recv, "-n", "3", "--timeout", "10000", *client_flags(keys), device.address("backend")],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            sent = tool(send, *client_flags(keys), device.address("frontend"), "one", "two",
                        "three")
            check(sent.returncode == 0, f"zd-send with CURVE: exit {sent.returncode}, "
                  f"stderr {strip_log_time(sent.stderr)!r}")
            out, err = receiver.communicate(timeout=10)
        finally:
            if receiver.poll() is None:
                receiver.kill()
                receiver.wait()
        check(receiver.returncode == 0, f"zd-recv with CURVE: exit {receiver.returncode}, "
              f"stderr {strip_log_time(err)!r}")
        check(out.splitlines() == ["one", "two", "three"], f"zd-recv printed {out!r}")

        # Refused senders: a key not in the allow-list, and no CURVE at all. Neither ever
        # completes a handshake, so zd-send says no peer connected, and why, and exits 1. A
        # plain-text client sees the mechanism mismatch itself or the server's close first,
        # depending on timing: either reason will do.
        for what, flags, why in (
                ("a stranger's key", client_flags(keys, "stranger"), ("refused our credentials",)),
                ("plain text", [], ("another security mechanism", "broke off the handshake"))):
            done = tool(send, "--linger", "500", *flags, device.address("frontend"), "secret")
            err = strip_log_time(done.stderr)
            check(done.returncode == 1, f"zd-send with {what}: exit {done.returncode}, want 1; "
                  f"stderr {err!r}")
            check("no peer connected" in err and any(reason in err for reason in why),
                  f"zd-send with {what} does not say no peer connected, {why!r}: {err!r}")
        # A refused receiver: nothing arrives, and at its --timeout it says why.
        done = tool(recv, "--timeout", "1000", *client_flags(keys, "stranger"),
                    device.address("backend"))
        err = strip_log_time(done.stderr)
        check(done.returncode == 1 and "refused our credentials" in err,
              f"zd-recv with a stranger's key: exit {done.returncode}, stderr {err!r}")
        check(device.stop() == 0, "zd-streamer did not exit 0")
    print("zd-send -> zd-streamer -> zd-recv with CURVE delivers; a stranger's key and plain "
          "text get nothing through (zd-send exit 1), a stranger's zd-recv says why")


def recv_as_server(context, keys, recv, bind):
    """zd-recv binds with CURVE: the server role, with its own ZAP handler."""
    with Tool(recv, "-n", "1", "--timeout", "10000", *keys.device_flags(), bind) as receiver:
        address = receiver.address("endpoint")
        refused = []
        for name in ("stranger", None):  # None: plain text
            sock, monitor = monitored(context, zmq.PUSH, keys, name)
            sock.connect(address)
            outcome = handshake_outcome(monitor)
            check(outcome != zmq.EVENT_HANDSHAKE_SUCCEEDED,
                  f"zd-recv let {name or 'a plain-text client'} in")
            try:
                sock.send(b"must-not-arrive", zmq.NOBLOCK)
            except zmq.Again:
                pass
            refused.append((sock, monitor))
        sock, monitor = monitored(context, zmq.PUSH, keys, "client")
        sock.connect(address)
        check(handshake_outcome(monitor) == zmq.EVENT_HANDSHAKE_SUCCEEDED,
              "zd-recv refused the allowed client")
        sock.send(b"hello over curve")
        out, code = receiver.output()
        close_monitored((sock, monitor), *refused)
        check(code == 0, f"zd-recv exit {code}; stderr {receiver.stderr_text!r}")
        check(out == "hello over curve\n", f"zd-recv printed {out!r}")
    print(f"zd-recv binding with CURVE on {bind.split(':')[0][1:]}: the allowed pyzmq client "
          "delivers; a stranger's key and plain text are refused")


def ctl_over_curve(keys, streamer, ctl):
    with Device(streamer, "-f", TCP, "-b", TCP, "--control", TCP,
                *keys.device_flags()) as device:
        control = device.address("control")
        done = tool(ctl, *client_flags(keys), control, "stats")
        check(done.returncode == 0, f"zd-ctl stats with CURVE: exit {done.returncode}, "
              f"stderr {strip_log_time(done.stderr)!r}")
        stats = json.loads(done.stdout)
        check("frontend_to_backend" in stats or "state" in stats,
              f"zd-ctl stats printed {done.stdout!r}")
        wrong_server = ["--curve-cert", keys.path("client_secret"), "--curve-server-key",
                        keys.path("stranger")]
        for what, flags, why in (
                ("no certificate", [], ("another security mechanism", "may require CURVE")),
                ("a stranger's key", client_flags(keys, "stranger"), ("refused our credentials",)),
                ("the wrong server key", wrong_server, ("not its public certificate",))):
            started = time.monotonic()
            done = tool(ctl, "--timeout", "1000", *flags, control, "stats")
            took = time.monotonic() - started
            err = strip_log_time(done.stderr)
            check(done.returncode == 1, f"zd-ctl with {what}: exit {done.returncode}, want 1; "
                  f"stderr {err!r}")
            check("no answer" in err and any(reason in err for reason in why),
                  f"zd-ctl with {what} does not say {why!r}: {err!r}")
            check(took < 5, f"zd-ctl with {what} took {took:.1f} s with --timeout 1000")
        check(device.stop() == 0, "zd-streamer did not exit 0")
    print("zd-ctl stats reaches a CURVE control socket with the client's certificate and the "
          "server key; without them, exit 1 within its timeout, saying why")


def fail_closed(keys, send, recv, ctl):
    hub = keys.path("hub_secret")
    loose = keys.path("loose_secret")
    shutil.copy(hub, loose)
    os.chmod(loose, 0o640)
    connect = "tcp://127.0.0.1:1"
    for program, extra in ((send, ["hello"]), (recv, []), (ctl, ["stats"])):
        name = os.path.basename(program)
        exits_2(program, ["--curve-cert", hub, connect, *extra], "server's public",
                f"{name}: connecting without the server's key")
        exits_2(program, ["--curve-cert", keys.path("missing_secret"), "--curve-server-key",
                          keys.path("hub"), connect, *extra], "missing_secret",
                f"{name}: a missing certificate")
        exits_2(program, ["--curve-cert", loose, "--curve-server-key", keys.path("hub"),
                          connect, *extra], "chmod 600",
                f"{name}: a secret certificate readable by its group")
        exits_2(program, ["--curve-cert", hub, "@tcp://127.0.0.1:*", *extra], "no allow-list",
                f"{name}: binding with CURVE without an allow-list")
    print("zd-send, zd-recv, zd-ctl: every fail-closed case exits 2 naming the problem")


def test(context, keygen, streamer, send, recv, ctl):
    with tempfile.TemporaryDirectory() as directory:
        keys = Keys(keygen, directory)
        fail_closed(keys, send, recv, ctl)
        round_trip(keys, streamer, send, recv)
        recv_as_server(context, keys, recv, TCP)
        recv_as_server(context, keys, recv, "@ipc://" + os.path.join(directory, "recv.ipc"))
        ctl_over_curve(keys, streamer, ctl)


if __name__ == "__main__":
    sys.exit(run(test))

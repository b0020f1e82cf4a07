"""scripts/topologies/*.sh start what they document, show it working, and leave nothing behind
(issue 13, "Wiring it from the shell").

For each script, run as an operator would (`--duration` for a run that ends by itself; Ctrl-C,
SIGINT to its process group as a terminal sends it, for one that does not):
- it exits 0 and says it stopped;
- it printed every endpoint of its topology (the tcp ports of its --base-port block);
- traffic flowed: the call it makes through the fabric was answered, subscribers received
  news, the journal's consumer got records (in multi-hub.sh, on hub a, records produced on
  hub b: they crossed the journal link);
- no process it started is left: none remains in its session (each run is started in a
  session of its own, and everything it starts inherits it);
- --dir is kept with the journals in it; without --dir its temporary directory is removed.

The port block is chosen free (every port bound once on 127.0.0.1 before the run).

Usage: test_topology_scripts.py SCRIPTS_DIR BUILD_DIR
"""

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

DEADLINE_S = 100
BLOCK = 30  # ports a topology may use from its base port
DURATION_S = 3


class TestFailure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise TestFailure(message)


def free_port_block(size):
    """A base port b such that b .. b+size-1 could all be bound on 127.0.0.1 just now."""
    for _ in range(100):
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        base = probe.getsockname()[1]
        probe.close()
        if base + size > 65000:
            continue
        sockets = []
        try:
            for port in range(base, base + size):
                held = socket.socket()
                held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sockets.append(held)
                held.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for held in sockets:
                held.close()
    raise TestFailure(f"found no {size} free consecutive ports")


def session_members(session):
    """Pids of live processes whose session is session (zombies not counted)."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        state, session_id = fields[0], int(fields[3])
        if session_id == session and state != "Z":
            members.append(int(entry))
    return members


def describe(pids):
    lines = []
    for pid in pids:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                command = cmdline.read().replace(b"\0", b" ").decode(errors="replace")
            lines.append(f"{pid}: {command}")
        except OSError:
            lines.append(f"{pid}: (gone)")
    return "; ".join(lines)


class Run:
    """One run of a topology script in a session of its own, its stdout collected."""

    def __init__(self, script, build, base, *options):
        self.script = os.path.basename(script)
        self.output_file = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            ["bash", script, "--build", build, "--base-port", str(base), *options],
            stdin=subprocess.DEVNULL, stdout=self.output_file, stderr=subprocess.STDOUT,
            start_new_session=True)

    def output(self):
        self.output_file.seek(0)
        return self.output_file.read().decode(errors="replace")

    def wait_for(self, text, timeout_s):
        deadline = time.monotonic() + timeout_s
        while text not in self.output():
            check(self.process.poll() is None,
                  f"{self.script} exited ({self.process.returncode}) before printing "
                  f"{text!r}:\n{self.output()}")
            check(time.monotonic() < deadline,
                  f"{self.script} printed no {text!r} within {timeout_s} s:\n{self.output()}")
            time.sleep(0.05)

    def finish(self, timeout_s):
        """Waits for the script; its output. Fails unless it exited 0 and left nothing."""
        try:
            code = self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            raise TestFailure(f"{self.script} did not stop within {timeout_s} s:\n"
                              f"{self.output()}") from None
        out = self.output()
        check(code == 0, f"{self.script} exited {code}:\n{out}")
        check("==> Stopped" in out, f"{self.script} did not say it stopped:\n{out}")
        # Its programs were waited for before it exited: give the kernel a moment to reap
        # nothing more, then nothing of the session may remain.
        left = session_members(self.process.pid)
        if left:
            time.sleep(0.5)
            left = session_members(self.process.pid)
        if left:
            description = describe(left)
            for pid in left:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            raise TestFailure(f"{self.script} left processes running: {description}")
        return out


def expect_endpoints(out, script, ports):
    for port in ports:
        check(f"tcp://127.0.0.1:{port}" in out,
              f"{script}: endpoint port {port} not printed:\n{out}")


def labelled(out, label):
    """The lines a labelled program printed ('  [label] text')."""
    return re.findall(rf"^  \[{re.escape(label)}\] (.*)$", out, re.MULTILINE)


def hub_and_spoke(scripts, build, work):
    base = free_port_block(BLOCK)
    kept = os.path.join(work, "hub-and-spoke")
    run = Run(os.path.join(scripts, "hub-and-spoke.sh"), build, base, "--dir", kept,
              "--duration", str(DURATION_S))
    out = run.finish(DURATION_S + 30)
    expect_endpoints(out, "hub-and-spoke.sh", range(base, base + 7))
    check(labelled(out, "zd-call") == ["HELLO, HUB"],
          f"hub-and-spoke.sh: the call through the broker was not answered:\n{out}")
    check(any(line.startswith("weather | ") for line in labelled(out, "subscriber")),
          f"hub-and-spoke.sh: the subscriber got no news:\n{out}")
    check(any(line.startswith("done by worker-") for line in labelled(out, "client")),
          f"hub-and-spoke.sh: the queue's client got no reply:\n{out}")
    check(any('"order"' in line for line in labelled(out, "consumer")),
          f"hub-and-spoke.sh: the journal's consumer got no record:\n{out}")
    check(os.path.isdir(os.path.join(kept, "journal")),
          f"hub-and-spoke.sh: --dir {kept} was not kept with its journal")
    print(f"hub-and-spoke.sh: endpoints printed, call answered, news, replies and records "
          f"flowed, stopped after --duration {DURATION_S} leaving nothing running")


def multi_hub(scripts, build):
    base = free_port_block(BLOCK)
    run = Run(os.path.join(scripts, "multi-hub.sh"), build, base, "--duration", str(DURATION_S))
    out = run.finish(DURATION_S + 30)
    ports = [base + 10 * hub + offset for hub in range(3) for offset in (0, 2)] + [base + 1]
    ports += [base + 10 * hub + offset for hub in range(2) for offset in (3, 4)]  # journals
    expect_endpoints(out, "multi-hub.sh", ports)
    link = [line.split()[-1] for line in out.splitlines()
            if line.startswith("  journal link b -> a")]  # its endpoints, as printed
    check(f">tcp://127.0.0.1:{base + 14}" in link and f">tcp://127.0.0.1:{base + 3}" in link
          and any(value.startswith("ipc://") for value in link),
          f"multi-hub.sh: the journal link's endpoints (from b's journal, to a's, control) "
          f"were not printed: {link}:\n{out}")
    check(labelled(out, "zd-call on a") == ["HELLO, FABRIC"],
          f"multi-hub.sh: the call from hub a to 'upper' on hub c was not answered:\n{out}")
    answers = [line for i in range(1, 5) for line in labelled(out, f"call-{i}")]
    check(len(answers) == 4 and all(re.fullmatch(r"served on hub [bc]", a) for a in answers),
          f"multi-hub.sh: the four calls to 'where' were not all answered by b or c:\n{out}")
    for hub in "bc":
        check(any(line.startswith("weather | ") for line in labelled(out, f"subscriber-{hub}")),
              f"multi-hub.sh: the subscriber on hub {hub}, two hops down, got no news:\n{out}")
    crossed = re.findall(r'"(order|invoice)"', "\n".join(labelled(out, "consumer-a")))
    check(crossed, f"multi-hub.sh: the consumer on hub a got no record produced on hub b "
          f"(through the journal link):\n{out}")
    # The producer alternates the two: once each and in order means exactly that sequence.
    check(crossed == ["order", "invoice"] * (len(crossed) // 2) + ["order"] * (len(crossed) % 2),
          f"multi-hub.sh: records crossed the journal link out of order or twice: {crossed}")
    temporary = re.search(r"ipc://(/tmp/zd-multi-hub\.[^/]+)/", out)
    check(temporary and not os.path.exists(temporary.group(1)),
          f"multi-hub.sh: its temporary directory was not removed: {temporary}")
    print(f"multi-hub.sh: endpoints printed, a call crossed from a to c, 'where' answered by "
          f"b and c ({', '.join(sorted(set(answers)))}), news two hops down, {len(crossed)} "
          f"records from b's journal consumed on a through the journal link, stopped after "
          f"--duration {DURATION_S} leaving nothing running")


def interrupted(scripts, build):
    """Ctrl-C: SIGINT to the script's process group, as a terminal sends it."""
    for name in ("hub-and-spoke.sh", "multi-hub.sh"):
        base = free_port_block(BLOCK)
        run = Run(os.path.join(scripts, name), build, base)
        run.wait_for("==> Running; Ctrl-C stops it", 30)
        os.killpg(run.process.pid, signal.SIGINT)
        run.finish(20)
        print(f"{name}: Ctrl-C stopped it with exit 0, leaving nothing running")


def signal_before_pid_recorded(scripts):
    """Regression: Ctrl-C between a program's '&' and 'pids+=($!)' left that program running
    (here a 'sleep 300', started and interrupted at once, before its pid is recorded)."""
    common = os.path.join(scripts, "common.sh")
    with tempfile.TemporaryDirectory(prefix="zd-topologies-") as work:
        snippet = (f"source {common!r}; dir={work!r}; keep_dir=1; install_traps; "
                   "sleep 300 & kill -INT $$; sleep 5")
        # Output to a file, not a pipe: a program left behind would hold a pipe open.
        with tempfile.TemporaryFile() as output:
            process = subprocess.Popen(["bash", "-c", snippet], stdin=subprocess.DEVNULL,
                                       stdout=output, stderr=subprocess.STDOUT,
                                       start_new_session=True)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                raise TestFailure("common.sh's cleanup did not end within 10 s") from None
            output.seek(0)
            out = output.read().decode(errors="replace")
        left = session_members(process.pid)
        for pid in left:
            os.kill(pid, signal.SIGKILL)
        check(process.returncode == 0 and not left,
              f"a program started as Ctrl-C came: exit {process.returncode}, left running: "
              f"{left}; output {out!r}")
    print("common.sh: a program started just as Ctrl-C came is stopped too")


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    scripts, build = sys.argv[1:]

    def on_alarm(signum, frame):
        raise TestFailure(f"exceeded its {DEADLINE_S} s deadline")

    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(DEADLINE_S)
    try:
        with tempfile.TemporaryDirectory(prefix="zd-topologies-") as work:
            hub_and_spoke(scripts, build, work)
            multi_hub(scripts, build)
            interrupted(scripts, build)
            signal_before_pid_recorded(scripts)
    except TestFailure as failure:
        print(f"FAIL test_topology_scripts.py: {failure}", file=sys.stderr)
        return 1
    finally:
        signal.alarm(0)
    print("PASS test_topology_scripts.py")
    return 0


if __name__ == "__main__":
    sys.exit(main())

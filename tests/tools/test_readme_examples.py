"""The README's examples work as written (issue 12, "Done when"): every ```sh and ```console
block of README.md that runs zdevices programs is run line by line, like an operator pasting
it into one shell, against the programs just built, and what each line must do is checked.

    README.md --> its blocks, in order --> bash, one line at a time (a line ending in & stays
    running in the background, as in a shell) --> the expectation below for that line

The examples use fixed tcp ports (5550-5582, 5555) as an operator would; the test runs them
in a network namespace of its own (`unshare -n`, or `unshare -rn` when not root), where those
ports are free and nothing outside can be reached. Paths under /tmp and /var/tmp are moved
into a private directory (the only change made to a line). Where no namespace can be made
the test says so and is skipped (exit 77). A README line that runs a program and has no
expectation here fails the test: a new example gets a check.

Usage: test_readme_examples.py README BIN_DIR...   (BIN_DIR: where the programs are)
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import tty

SKIP = 77
NAMESPACE_MARK = "ZD_README_NAMESPACE"


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


# --- what each line must do ---------------------------------------------------------------
# exited(rc, stdout=...): the line ends by itself with that code (and output, if given).
# streams(predicate): the line runs until stopped (a receiver); its output must satisfy the
# predicate within the deadline, then it is stopped.
# background: lines ending in & must still run when their block ends (a device, a worker).


def exited(rc=0, stdout=None, within=30):
    return {"kind": "exited", "rc": rc, "stdout": stdout, "within": within}


def streams(predicate, what, within=15):
    return {"kind": "streams", "predicate": predicate, "what": what, "within": within}


def numbers_1_to_1000(out):
    return out.split() == [str(i) for i in range(1, 1001)]


def json_with(member):
    def predicate(out):
        try:
            return member in json.loads(out)
        except ValueError:
            return False
    return predicate


EXPECTATIONS = {
    # The opening example: its own output lines are checked (see run_console_block).
    "zd-send tcp://127.0.0.1:5557 'hello, world'": exited(0),
    # zd-queue
    "zd-send --type req tcp://127.0.0.1:5559 'job 1' 'job 2'": exited(0, "done\ndone\n"),
    # zd-forwarder with its last-value cache
    "zd-send --type pub -s '|' tcp://127.0.0.1:5550 'weather|Paris 21C'": exited(0),
    "zd-recv --subscribe weather tcp://127.0.0.1:5551":
        streams(lambda out: out == "weather | Paris 21C\n", "the cached 'weather | Paris 21C'"),
    # zd-streamer: the background zd-recv's output is checked after the block
    "seq 1 1000 | zd-send tcp://127.0.0.1:5557": exited(0),
    # zd-journal, fire-and-forget sides
    "seq 1 1000 | zd-send --type push tcp://127.0.0.1:5570": exited(0),
    "zd-recv --type pull tcp://127.0.0.1:5571": streams(numbers_1_to_1000, "records 1..1000"),
    # zd-link: a record published to hub a's journal arrives in hub b's
    "zd-send --type req -s '|' tcp://127.0.0.1:5572 'PUB shell 1 1|hello'":
        exited(0, "ACK shell 1\n"),
    "zd-journal-tool consume tcp://127.0.0.1:5575 --name ops --idle 1000":
        exited(0, lambda out: '"hello"' in out),
    # the tools
    "zd-send -n 100 --rate 10 tcp://127.0.0.1:5557 tick": exited(0),
    "zd-send --type req tcp://127.0.0.1:5559 ping": exited(0, "done\n"),
    "zd-recv --subscribe weather --format json tcp://127.0.0.1:5551 | jq .":
        streams(lambda out: "Paris 21C" in out and out.rstrip().endswith("]"),
                "the cached update as JSON through jq"),
    "zd-recv -n 1 --timeout 2000 --subscribe weather tcp://127.0.0.1:5551":
        exited(0, "weather | Paris 21C\n"),
    "zd-ctl ipc:///tmp/queue.ctl stats | jq .frontend_to_backend":
        exited(0, json_with("received_messages")),
    "zd-ctl ipc:///tmp/queue.ctl pause": exited(0),
    # CURVE for the tools: certificates, a streamer with CURVE, zd-send and zd-ctl with keys
    "zd-keygen /tmp/hub && zd-keygen /tmp/me && mkdir -p /tmp/allow && cp /tmp/me /tmp/allow/":
        exited(0),
    "zd-send --curve-cert /tmp/me_secret --curve-server-key /tmp/hub tcp://127.0.0.1:5580 hello":
        exited(0),
    "zd-ctl --curve-cert /tmp/me_secret --curve-server-key /tmp/hub tcp://127.0.0.1:5582 stats":
        exited(0, json_with("frontend_to_backend")),
    "zd-call -b tcp://127.0.0.1:5555 upper hello": exited(0, "HELLO\n"),
    "zd-call -b tcp://127.0.0.1:5555 mmi.service upper": exited(0, "200\n"),
}

# Blocks about building and benchmarking: the build is what this test runs against, and
# benchmarks are not tests.
NOT_EXAMPLES = ("scripts/", "cmake ", "zd-bench")


# --- the README's blocks -------------------------------------------------------------------

def blocks(readme):
    """[(kind, [lines])] for every ```sh / ```console block, continuation lines joined."""
    found, kind, lines = [], None, []
    for line in readme.splitlines():
        if kind is None:
            match = re.match(r"^```(sh|console)\s*$", line)
            if match:
                kind, lines = match.group(1), []
            continue
        if line.startswith("```"):
            found.append((kind, lines))
            kind = None
            continue
        if lines and lines[-1].endswith("\\"):
            lines[-1] = lines[-1][:-1].rstrip() + " " + line.strip()
        else:
            lines.append(line)
    return found


def command_of(line):
    """The line without its trailing comment and '&': the key of EXPECTATIONS."""
    code = re.sub(r"\s+#.*$", "", line).strip()
    background = code.endswith("&")
    return code.rstrip("&").strip(), background


# --- a shell session -----------------------------------------------------------------------

class Session:
    """Lines run as in one interactive shell: background jobs keep running between blocks
    until the session ends (an operator following the README keeps its devices up)."""

    def __init__(self, private):
        self.private = private
        self.jobs = []  # (command, process, stdout path)
        self.copiers = {}  # pid -> the thread copying its terminal

    def localize(self, command):
        # /tmp/x and /var/tmp/x become private paths; nothing else is changed.
        command = command.replace("/var/tmp/", f"{self.private}/var/tmp/")
        return re.sub(r"(?<![\w.])/tmp/", f"{self.private}/tmp/", command)

    def start(self, command):
        """Runs command with its stdout on a terminal, as an operator's shell has it (jq, for
        one, holds its output back when it writes to a file); what it shows is copied to a
        file. stderr goes to a file beside it (.err)."""
        out = os.path.join(self.private, f"job{len(self.jobs)}.out")
        master, terminal = os.openpty()
        tty.setraw(terminal)  # no \r added before \n
        with open(out + ".err", "wb") as stderr:
            process = subprocess.Popen(["bash", "-c", self.localize(command)], stdout=terminal,
                                       stderr=stderr, stdin=subprocess.DEVNULL,
                                       start_new_session=True)
        os.close(terminal)
        copier = threading.Thread(target=copy_terminal, args=(master, out), daemon=True)
        copier.start()
        self.jobs.append((command, process, out))
        self.copiers[process.pid] = copier
        return process, out

    def run(self, command, expectation):
        process, out = self.start(command)
        deadline = time.monotonic() + expectation["within"]
        if expectation["kind"] == "exited":
            while process.poll() is None:
                check(time.monotonic() < deadline,
                      f"`{command}` still running after {expectation['within']} s:\n"
                      f"{read(out)}{read(out + '.err')}")
                time.sleep(0.05)
            self.copiers[process.pid].join(5)  # what it printed last is in the file
            text = read(out)
            check(process.returncode == expectation["rc"],
                  f"`{command}` exited {process.returncode}, not {expectation['rc']}:\n{text}"
                  f"{read(out + '.err')}")
            want = expectation["stdout"]
            if callable(want):
                check(want(text), f"`{command}` printed {text!r}")
            elif want is not None:
                check(text == want, f"`{command}` printed {text!r}, not {want!r}")
            return
        while not expectation["predicate"](read(out)):
            check(process.poll() is None,
                  f"`{command}` exited {process.returncode} before {expectation['what']}:\n"
                  f"{read(out)}{read(out + '.err')}")
            check(time.monotonic() < deadline,
                  f"`{command}`: no {expectation['what']} in {expectation['within']} s; "
                  f"printed {read(out)[-2000:]!r}")
            time.sleep(0.05)
        stop(process)

    def check_background(self):
        for command, process, out in self.jobs:
            if command_of(command)[0] in EXPECTATIONS:
                continue
            check(process.poll() is None,
                  f"background `{command}` exited {process.returncode}:\n"
                  f"{read(out)}{read(out + '.err')}")

    def output_of(self, command):
        return [read(out) for each, process, out in self.jobs if each == command]

    def end(self):
        for _, process, _ in self.jobs:
            stop(process)
        self.jobs = []


def copy_terminal(master, path):
    """Copies what a job writes to its terminal into path until the terminal closes."""
    with open(path, "ab", buffering=0) as file:
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: every writer has closed the terminal
                data = b""
            if not data:
                break
            file.write(data)
    os.close(master)


def read(path):
    try:
        with open(path, "rb") as file:
            text = file.read().decode(errors="replace")
    except FileNotFoundError:
        return ""
    return re.sub(r"\x1b\[[0-9;]*m", "", text)  # jq colours what goes to a terminal


def stop(process):
    if process.poll() is None:
        try:
            os.killpg(process.pid, 15)
        except ProcessLookupError:
            pass
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()


# --- the blocks, as an operator runs them --------------------------------------------------

def run_console_block(session, lines):
    """A `$ command` transcript: run the commands; every other line is output that must
    appear (in any job's output: stdout and stderr, as a terminal shows them)."""
    shown = [line for line in lines if not line.startswith("$ ")]
    for line in lines:
        if line.startswith("$ "):
            run_line(session, line[2:])
    deadline = time.monotonic() + 10
    for line in shown:
        while not any(line in read(out) + read(out + ".err") for _, _, out in session.jobs):
            check(time.monotonic() < deadline,
                  f"the README shows {line!r}; nothing printed it:\n" +
                  "\n".join(f"`{c}`: {read(o) + read(o + '.err')!r}" for c, _, o in session.jobs))
            time.sleep(0.05)


def run_line(session, line):
    command, background = command_of(line)
    if not command:
        return
    if background:
        session.start(command)
        return
    check(command in EXPECTATIONS,
          f"README line `{command}` has no expectation in {os.path.basename(__file__)}")
    session.run(command, EXPECTATIONS[command])


def run_readme(readme_path):
    with open(readme_path) as file:
        found = blocks(file.read())
    runnable = [(kind, lines) for kind, lines in found
                if any("zd-" in line for line in lines)
                and not any(word in line for line in lines for word in NOT_EXAMPLES)]
    check(len(runnable) >= 8, f"only {len(runnable)} example blocks found in {readme_path}")
    with tempfile.TemporaryDirectory(prefix="zd-readme-") as private:
        for sub in ("tmp", "var/tmp"):
            os.makedirs(os.path.join(private, sub))
        session = Session(private)
        try:
            # The opening transcript is a session of its own (its streamer is the one the
            # zd-streamer section starts again on the same ports).
            kind, lines = runnable[0]
            check(kind == "console", "the README no longer opens with a transcript")
            run_console_block(session, lines)
            session.end()
            for kind, lines in runnable[1:]:
                for line in lines:
                    run_line(session, line)
                session.check_background()
            # The zd-streamer section's consumer got the 1000 lines (and the ticks after).
            streamed = session.output_of("zd-recv tcp://127.0.0.1:5558")
            check(streamed and streamed[-1].split()[:1000] == [str(i) for i in range(1, 1001)],
                  f"the streamer's consumer printed {streamed[-1][:200] if streamed else None!r}")
            print(f"PASS: {sum(len(lines) for _, lines in runnable)} lines of "
                  f"{len(runnable)} README blocks")
        finally:
            session.end()


# --- the namespace -------------------------------------------------------------------------

def enter_namespace(argv):
    """Re-runs this script in a new network namespace with loopback up; returns its exit
    code, or SKIP when no namespace can be made here."""
    unshare = shutil.which("unshare")
    ip = shutil.which("ip") or "/usr/sbin/ip"
    if not unshare or not os.path.exists(ip):
        print("SKIP: needs unshare (util-linux) and ip (iproute2)", file=sys.stderr)
        return SKIP
    flags = ["-n"] if os.geteuid() == 0 else ["-r", "-n"]
    probe = subprocess.run([unshare, *flags, ip, "link", "set", "lo", "up"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        print(f"SKIP: cannot make a network namespace here: {probe.stderr.strip()}",
              file=sys.stderr)
        return SKIP
    script = f'{ip} link set lo up && exec "$0" "$@"'
    env = dict(os.environ, **{NAMESPACE_MARK: "1"})
    return subprocess.run([unshare, *flags, "sh", "-c", script, sys.executable, *argv],
                          env=env).returncode


def main(argv):
    if os.environ.get(NAMESPACE_MARK) != "1":
        return enter_namespace(argv)
    readme, *bin_dirs = argv[1:]
    os.environ["PATH"] = os.pathsep.join([*bin_dirs, os.environ.get("PATH", "")])
    try:
        run_readme(readme)
    except Failure as failure:
        print(f"FAIL: {failure}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

"""Every built program's command line as an operator meets it, one promise per check:

  version   `--version` exits 0 and prints "NAME X.Y.Z (commit HASH, libzmq X.Y.Z)"
  usage     a usage error exits 2, printed as "NAME: message" plus the --help hint
  numbers   a bad number says the allowed range in words, never a 300-digit bound
  printconfig  `--print-config` needs no other option, and its output given back with
            --config prints the same again (the template reads back as itself)
  logtime   log lines start with the UTC time when stderr is not a terminal or with
            --log-time, never with --no-log-time (devices only: they log a ready line)
  sighup    a device or tool with a stop signal stops on SIGHUP as on SIGTERM: exit 0,
            "SIGHUP: stopping (reload is not supported yet)", then its normal stop line

Usage: test_programs.py CHECK PROGRAM... (paths of the built executables).
"""

import os
import pty
import re
import signal
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
import zdinterop  # noqa: E402
from zdinterop import Device, TestFailure, check, strip_log_time  # noqa: E402

RUN_TIMEOUT_S = 10
TCP = "@tcp://127.0.0.1:*"

# A numeric option each program takes, with a value out of its range.
BAD_NUMBERS = {
    "zd-bench": [["--repeat", "0"], ["--duration", "0"]],
    "zd-journal-bench": [["--runs", "0"], ["--raw-seconds", "1e400"]],
    "zd-journal-tool": [["consume", "--window", "0"]],
    "zd-keygen": [],  # takes no number
}
COMMON_BAD_NUMBERS = [["--hwm", "-1"], ["--hwm", "lots"], ["--io-threads", "0"],
                      ["--heartbeat-ivl", "-5"], ["--max-msg-size", "-2"]]


def name_of(path):
    return os.path.basename(path)


def run_program(path, *args):
    """(exit code, stdout, stderr) of one short run."""
    try:
        done = subprocess.run([path, *args], stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, timeout=RUN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise TestFailure(f"{name_of(path)} {' '.join(args)} ran over {RUN_TIMEOUT_S} s")
    return done.returncode, done.stdout, done.stderr


def check_version(path):
    code, out, err = run_program(path, "--version")
    shape = re.compile(re.escape(name_of(path)) +
                       r" \d+\.\d+\.\d+ \(commit ([0-9a-f]{7,40}|unknown), libzmq \d+\.\d+\.\d+\)\n")
    check(code == 0, f"{name_of(path)} --version exited {code}: {err!r}")
    check(shape.fullmatch(out), f"{name_of(path)} --version printed {out!r}")


def check_usage_error(path, args, *wanted):
    """Runs path with args, expects exit 2 with "NAME: ..." naming everything in wanted,
    then the hint line. Returns the message line."""
    name = name_of(path)
    code, out, err = run_program(path, *args)
    check(code == 2, f"{name} {' '.join(args)} exited {code}, expected 2: {err!r}")
    lines = err.splitlines()
    check(len(lines) == 2, f"{name} {' '.join(args)}: expected two stderr lines, got {err!r}")
    message = strip_log_time(lines[0])
    check(message.startswith(name + ": "), f"{name}: usage error without its prefix: {err!r}")
    check(lines[1] == "Run with --help for more information.", f"{name}: no hint: {err!r}")
    for text in wanted:
        check(text in message, f"{name} {' '.join(args)}: {text!r} not in {message!r}")
    return message


def check_usage(path):
    # Not always about the unknown option: CLI11 reports a missing required option first.
    check_usage_error(path, ["--no-such-option"])


def check_numbers(path):
    for args in BAD_NUMBERS.get(name_of(path), COMMON_BAD_NUMBERS):
        message = check_usage_error(path, args, args[-2], "must be", f"not '{args[-1]}'")
        check(not re.search(r"\d{20}", message), f"a huge number in {message!r}")
        check(re.search(r"from -?\d+(\.\d+)? to \d+|or more", message),
              f"no range in words in {message!r}")


def stops_on_sighup(path, *args):
    """Starts path with args, waits for its ready line, sends SIGHUP, expects exit 0."""
    with Device(path, *args) as device:
        device.process.send_signal(signal.SIGHUP)
        code = device.wait(zdinterop.STOP_TIMEOUT_S)
        device.kill()  # collects the rest of stderr
        check(code == 0, f"{device.name} exited {code} on SIGHUP: {device.stderr_text!r}")
        check("SIGHUP: stopping (reload is not supported yet)" in device.stderr_text,
              f"{device.name} did not log SIGHUP: {device.stderr_text!r}")
        return device.stderr_text


def check_sighup(path):
    name = name_of(path)
    with tempfile.TemporaryDirectory() as directory:
        if name in ("zd-queue", "zd-forwarder", "zd-streamer"):
            err = stops_on_sighup(path, "-f", TCP, "-b", TCP)
        elif name == "zd-broker":
            err = stops_on_sighup(path, "-e", TCP)
        elif name == "zd-journal":
            err = stops_on_sighup(path, "--dir", directory, "-f", TCP, "-b", TCP)
        elif name == "zd-link":  # the journals need not be there for it to be ready
            err = stops_on_sighup(path, "--from", ">tcp://127.0.0.1:9", "--to",
                                  ">tcp://127.0.0.1:9", "--name", "sighup")
        elif name == "zd-titanic":
            with Device(os.path.join(os.path.dirname(path), "zd-broker"), "-e", TCP) as broker:
                err = stops_on_sighup(path, "--dir", directory, "--broker",
                                      broker.address("endpoint"))
        elif name == "zd-recv":
            stops_on_sighup(path, TCP)
            return
        else:
            return  # no ready line to wait for; same stop_signal_t as the others
    check("stopping on signal" in err, f"{name}: no normal stop line after SIGHUP: {err!r}")


def check_printconfig(path):
    name = name_of(path)
    code, help_text, err = run_program(path, "--help")
    if "--print-config" not in help_text:
        return  # zd-bench, zd-journal-bench, zd-journal-tool: no configuration to print
    code, printed, err = run_program(path, "--print-config")
    check(code == 0, f"{name} --print-config exited {code}: {err!r}")
    check(f"[{name}]\n" in printed, f"{name} --print-config has no [{name}] section: {printed!r}")
    with tempfile.TemporaryDirectory() as directory:
        file = os.path.join(directory, "printed.ini")
        with open(file, "w") as out:
            out.write(printed)
        code, again, err = run_program(path, "--config", file, "--print-config")
    check(code == 0, f"{name} --config (its own --print-config) exited {code}: {err!r}")
    check(again == printed, f"{name}: the printed configuration reads back differently:\n"
                            f"{printed}\n--- read back and printed again:\n{again}")


STAMPED_LINE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (zd-[a-z-]+): ready ")


def first_line(path, args, on_terminal):
    """The first stderr line of a device started with args (on a pseudo-terminal if
    on_terminal), which is its ready line; the device is stopped with SIGTERM after it."""
    command = [path, *args]
    if on_terminal:
        leader, follower = pty.openpty()
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=follower)
        os.close(follower)
        reader = os.fdopen(leader, "rb", buffering=0)
    else:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE)
        reader = process.stderr
    try:
        line = b""
        while not line.endswith(b"\n"):  # bounded by the test's deadline (zdinterop.run)
            byte = reader.read(1)
            check(byte, f"{name_of(path)} {' '.join(args)} ended before a line: {line!r}")
            line += byte
        return line.decode().rstrip("\r\n")
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(zdinterop.STOP_TIMEOUT_S)
        reader.close()


def check_logtime(path):
    name = name_of(path)
    if name not in ("zd-queue", "zd-forwarder", "zd-streamer"):
        return
    sides = ["-f", TCP, "-b", TCP]
    for args, on_terminal, stamped in [(sides, False, True), (sides, True, False),
                                       (sides + ["--log-time"], True, True),
                                       (sides + ["--no-log-time"], False, False)]:
        line = first_line(path, args, on_terminal)
        where = "a terminal" if on_terminal else "a pipe"
        if stamped:
            match = STAMPED_LINE.match(line)
            check(match and match.group(1) == name,
                  f"{name} {' '.join(args[4:])} on {where}: no time stamp in {line!r}")
        else:
            check(line.startswith(f"{name}: ready "),
                  f"{name} {' '.join(args[4:])} on {where}: stamped line {line!r}")


CHECKS = {"version": check_version, "usage": check_usage, "numbers": check_numbers, "logtime": check_logtime,
          "printconfig": check_printconfig,
          "sighup": check_sighup}


def main(context, which, *paths):
    check(paths, "no programs given")
    for path in paths:
        CHECKS[which](path)


if __name__ == "__main__":
    sys.exit(zdinterop.run(main))

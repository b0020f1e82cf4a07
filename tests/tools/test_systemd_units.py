"""The systemd template units (dist/systemd/zd-device@.service.in, one per device) are valid
and work as a service manager runs them (issue 13, "Wiring it from the shell"): for each,

  - `systemd-analyze verify` accepts an instance of it (zd-queue@hub.service) with no
    warning at all;
  - its ExecStart line, run as systemd would (%i = the instance, $NOTIFY_SOCKET set for
    Type=notify), reads its /etc/zdevices/INSTANCE.conf (a --config file with the program's
    [section]; the test points it at a private directory instead of /etc), says READY=1
    and stops with exit 0 on SIGTERM.

Skipped (exit 77) where systemd-analyze is not installed.

Usage: test_systemd_units.py UNIT_DIR   (the build tree's systemd-test/, units whose
                                         ExecStart runs the programs just built)
"""

import os
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile

SKIP = 77
DEADLINE_S = 10
INSTANCE = "hub"
TCP = "@tcp://127.0.0.1:*"

# What each device's /etc/zdevices/hub.conf says ({state}: its StateDirectory).
CONFIGS = {
    "zd-queue": f"frontend = {TCP}\nbackend = {TCP}\n",
    "zd-forwarder": f"frontend = {TCP}\nbackend = {TCP}\n",
    "zd-streamer": f"frontend = {TCP}\nbackend = {TCP}\n",
    "zd-broker": f"endpoint = {TCP}\n",
    "zd-journal": f"dir = {{state}}/journal\nfrontend = {TCP}\nbackend = {TCP}\n",
    "zd-link": "from = tcp://127.0.0.1:9\nto = tcp://127.0.0.1:9\nname = hub\n",
    "zd-titanic": "dir = {state}/titanic\nbroker = tcp://127.0.0.1:9\n",
}


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def verify(unit_path, work):
    """systemd-analyze verify on an instance of the template: no output, exit 0."""
    program = os.path.basename(unit_path).split("@")[0]
    instance = os.path.join(work, f"{program}@{INSTANCE}.service")
    shutil.copy(unit_path, instance)
    result = subprocess.run(["systemd-analyze", "verify", instance], capture_output=True,
                            text=True, timeout=60)
    check(result.returncode == 0 and not result.stderr.strip(),
          f"systemd-analyze verify {program}@{INSTANCE}.service: exit {result.returncode}\n"
          f"{result.stderr}")


def exec_start(unit_path):
    """The ExecStart command line, as words, with %i resolved."""
    with open(unit_path) as unit:
        lines = [line.strip() for line in unit if line.startswith("ExecStart=")]
    check(len(lines) == 1, f"{unit_path}: {len(lines)} ExecStart lines")
    return [word.replace("%i", INSTANCE) for word in shlex.split(lines[0][len("ExecStart="):])]


def run_as_service(unit_path, work):
    program = os.path.basename(unit_path).split("@")[0]
    conf_dir = os.path.join(work, "etc", "zdevices")
    state = os.path.join(work, "state", program)
    os.makedirs(conf_dir, exist_ok=True)
    os.makedirs(state, exist_ok=True)
    with open(os.path.join(conf_dir, f"{INSTANCE}.conf"), "w") as conf:
        conf.write(f"[{program}]\n" + CONFIGS[program].format(state=state))
    command = [word.replace("/etc/zdevices/", conf_dir + "/") for word in exec_start(unit_path)]
    check(command[-1] == os.path.join(conf_dir, f"{INSTANCE}.conf"),
          f"{program}: ExecStart does not read /etc/zdevices/%i.conf: {command}")
    notify_path = os.path.join(work, f"{program}.notify")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(notify_path)
    listener.settimeout(DEADLINE_S)
    process = subprocess.Popen(command, env=dict(os.environ, NOTIFY_SOCKET=notify_path),
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    try:
        try:
            datagram = listener.recv(4096).decode()
        except socket.timeout:
            process.kill()
            raise Failure(f"{program}: no READY=1 within {DEADLINE_S} s:\n"
                          f"{process.communicate()[1]}")
        check("READY=1" in datagram.split("\n"), f"{program}: notified {datagram!r}")
        process.terminate()
        _, stderr = process.communicate(timeout=DEADLINE_S)
        check(process.returncode == 0, f"{program}: exit {process.returncode} on SIGTERM:\n"
                                       f"{stderr}")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        listener.close()


def main(unit_dir):
    if not shutil.which("systemd-analyze"):
        print("SKIP: systemd-analyze is not installed", file=sys.stderr)
        return SKIP
    units = sorted(os.path.join(unit_dir, name) for name in os.listdir(unit_dir)
                   if name.endswith("@.service"))
    try:
        check(sorted(os.path.basename(u).split("@")[0] for u in units) == sorted(CONFIGS),
              f"units in {unit_dir}: {units}")
        with tempfile.TemporaryDirectory(prefix="zd-units-") as work:
            for unit in units:
                verify(unit, work)
                run_as_service(unit, work)
    except Failure as failure:
        print(f"FAIL: {failure}", file=sys.stderr)
        return 1
    print(f"PASS: {len(units)} units verified and run")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))

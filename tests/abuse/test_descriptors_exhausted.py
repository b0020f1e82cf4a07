"""A device that runs out of descriptors keeps serving the peers it has, does not spin, and
accepts again once descriptors are free (issue 14).

    good peer (connected first) --round trips, all along--> [device, RLIMIT_NOFILE soft 64,
    400 raw tcp connections that send nothing ------------>  hard 256]

The device is started under prlimit with a soft limit of 64 and a hard one of 256: it raises
its soft limit to the hard one at start (base/descriptor_limit.hpp; checked in
/proc/PID/limits). The 400 connections then exhaust it: accept() fails with EMFILE while the
connections stay queued, so the listener stays readable. The native engine rests such a
listener 100 ms between tries (before: it polled it again at once and spun at 70% of a core
with nothing to do) and logs it once. libzmq's I/O thread retries at once (4.3.4,
tcp_listener_t::in_event): on the libzmq engine and the other devices the CPU share is only
reported, not bounded (docs/LIMITS.md).

Usage: test_descriptors_exhausted.py DEVICE [ENGINE]
"""

import os
import socket
import sys
import tempfile
import time

from abuse import (PEERS, Device, check, check_alive, data_side, raise_fd_limit, run,
                   start_device)

SOFT, HARD = 64, 256
ABUSERS = 400
NATIVE_CPU_BOUND = 0.2  # of one core, starved and idle; 0.7 when it spun


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def open_descriptors(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def soft_limit(pid):
    with open(f"/proc/{pid}/limits") as limits:
        for line in limits:
            if line.startswith("Max open files"):
                return int(line.split()[3])
    return None


def wait_for(condition, what, timeout_s=10):
    deadline = time.monotonic() + timeout_s
    while not condition():
        check(time.monotonic() < deadline, f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(0.02)


def test(context, path, engine=None):
    raise_fd_limit()
    with tempfile.TemporaryDirectory() as directory:
        plain = start_device(path, engine, directory=directory)
        device = Device("/usr/bin/prlimit", f"--nofile={SOFT}:{HARD}", *plain.command)
        device.name = plain.name
        with device:
            pid = device.process.pid
            check(soft_limit(pid) == HARD,
                  f"the soft descriptor limit was not raised to the hard one: {soft_limit(pid)}")
            good = PEERS[device.name](context, device)
            good.round_trip()
            host, port = device.address(data_side(device))[len("tcp://"):].rsplit(":", 1)
            abusers = []
            for _ in range(ABUSERS):
                raw = socket.socket()
                raw.setblocking(False)
                raw.connect_ex((host, int(port)))
                abusers.append(raw)
            wait_for(lambda: open_descriptors(pid) >= HARD - 2, "the device to run out")
            before, started = cpu_seconds(pid), time.monotonic()
            time.sleep(1)  # what an idle, starved device does with a second
            share = (cpu_seconds(pid) - before) / (time.monotonic() - started)
            print(f"{device.name} {engine or ''}: {share:.0%} of a core while out of descriptors")
            if engine == "native":
                check(share < NATIVE_CPU_BOUND, f"it spins while out of descriptors: {share:.0%}")
            for _ in range(10):
                good.round_trip()
                check_alive(device)
            for raw in abusers:
                raw.close()
            wait_for(lambda: open_descriptors(pid) < HARD // 2, "the device to free descriptors")
            good.round_trip()
            check(device.stats()["peers"] is not None, "no STATS after the abuse")
            good.close()
            check(device.stop() == 0, f"{device.name} did not exit 0 on SIGTERM")
        if engine == "native":
            lines = [line for line in device.stderr_text.splitlines()
                     if "cannot accept a connection" in line]
            check(len(lines) == 1, f"expected one log line on running out, got {lines}")


if __name__ == "__main__":
    sys.exit(run(test))

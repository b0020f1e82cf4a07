#!/usr/bin/env python3
"""Interop: the pyzmq examples (examples/python/mdp_client.py, mdp_worker.py) against zd-broker,
and crossed with zd-call and zd-worker, for MDP/0.1 (REQ client) and MDP/0.2 (DEALER client).

    mdp_client.py / zd-call  --->  zd-broker  <---  mdp_worker.py / zd-worker

usage: test_mdp_python.py ZD_BROKER ZD_CALL ZD_WORKER EXAMPLES_DIR
Exits non-zero on the first failure; bounded at 25 s.
"""
import json
import os
import re
import signal
import subprocess
import sys
import time

BROKER, CALL, WORKER, EXAMPLES = sys.argv[1:5]
PYTHON = sys.executable
DEADLINE = time.monotonic() + 25
children = []


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


def spawn(args):
    child = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
    children.append(child)
    return child


def start_broker():
    broker = spawn([BROKER, "-e", "@tcp://127.0.0.1:*", "--heartbeat-interval", "200"])
    line = broker.stderr.readline().decode()  # the ready line comes first
    match = re.search(r"ready endpoint=@(tcp://[0-9.]+:[0-9]+)", line)
    check(match is not None, "no ready line from zd-broker: %r" % line)
    return match.group(1)


def run(args, timeout=10):
    left = max(1, DEADLINE - time.monotonic())
    return subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True,
                          timeout=min(timeout, left))


def services(endpoint):
    result = run([CALL, "-b", endpoint, "--timeout", "1000", "--retries", "0", "mmi.services"])
    return json.loads(result.stdout) if result.returncode == 0 else {}


def wait_for_worker(endpoint, service):
    while time.monotonic() < DEADLINE:
        if services(endpoint).get(service, {}).get("workers", 0) >= 1:
            return
        time.sleep(0.02)  # between probes of the broker's own count
    fail("no worker registered for %r" % service)


def py_client(endpoint, version, service, *body):
    return run([PYTHON, os.path.join(EXAMPLES, "mdp_client.py"), "--mdp", version,
                "--timeout", "3000", "--retries", "0", endpoint, service] + list(body))


def main():
    endpoint = start_broker()
    # Python workers, one per protocol version; a zd-worker for the other direction.
    for version, service, extra in (("0.1", "py01", ["--upper"]),
                                    ("0.2", "py02", ["--upper"]),
                                    ("0.2", "pystream", ["--partials", "2"])):
        spawn([PYTHON, os.path.join(EXAMPLES, "mdp_worker.py"), "--mdp", version,
               "--heartbeat-interval", "200", "--heartbeat-liveness", "5"] + extra + [endpoint, service])
    spawn([WORKER, "-b", endpoint, "--heartbeat-interval", "200", "--heartbeat-liveness", "5",
           "--mdp", "0.1", "zd01",
           "--", "tr", "a-z", "A-Z"])
    spawn([WORKER, "-b", endpoint, "--heartbeat-interval", "200", "--heartbeat-liveness", "5",
           "zd02", "--echo"])
    for service in ("py01", "py02", "pystream", "zd01", "zd02"):
        wait_for_worker(endpoint, service)

    # Python client (REQ for 0.1, DEALER for 0.2) -> Python worker of either version.
    for client_version in ("0.1", "0.2"):
        for service in ("py01", "py02"):
            result = py_client(endpoint, client_version, service, "hello", "world")
            check(result.returncode == 0 and result.stdout == b"HELLO\nWORLD\n",
                  "mdp_client %s -> %s: %r" % (client_version, service, result))

    # Python client -> zd-worker (both worker versions).
    for client_version in ("0.1", "0.2"):
        result = py_client(endpoint, client_version, "zd01", "abc")
        check(result.returncode == 0 and result.stdout == b"ABC\n",
              "mdp_client %s -> zd-worker 0.1: %r" % (client_version, result))
        result = py_client(endpoint, client_version, "zd02", "x", "", "y")
        check(result.returncode == 0 and result.stdout == b"x\n\ny\n",
              "mdp_client %s -> zd-worker --echo 0.2: %r" % (client_version, result))

    # zd-call -> Python workers; PARTIALs reach 0.2 clients only.
    for call_version in ("0.1", "0.2"):
        result = run([CALL, "-b", endpoint, "--mdp", call_version, "py01", "mixed Case"])
        check(result.returncode == 0 and result.stdout == b"MIXED CASE\n",
              "zd-call %s -> mdp_worker 0.1: %r" % (call_version, result))
    result = run([CALL, "-b", endpoint, "pystream", "end"])
    check(result.stdout == b"part 1\npart 2\nend\n", "zd-call 0.2 partials: %r" % result)
    result = run([CALL, "-b", endpoint, "--mdp", "0.1", "pystream", "end"])
    check(result.stdout == b"end\n", "zd-call 0.1 gets only the final: %r" % result)
    result = py_client(endpoint, "0.2", "pystream", "end")
    check(result.stdout == b"part 1\npart 2\nend\n", "mdp_client 0.2 partials: %r" % result)
    result = py_client(endpoint, "0.1", "pystream", "end")
    check(result.stdout == b"end\n", "mdp_client 0.1 final only: %r" % result)

    # MMI through the Python client, and a timeout it reports.
    result = py_client(endpoint, "0.1", "mmi.service", "py02")
    check(result.stdout == b"200\n", "mmi.service via REQ: %r" % result)
    result = run([PYTHON, os.path.join(EXAMPLES, "mdp_client.py"), "--timeout", "200",
                  "--retries", "1", endpoint, "nobody", "x"])
    check(result.returncode == 1 and b"after 2 attempts" in result.stderr,
          "mdp_client timeout: %r" % result)

    # Python workers exit 0 on SIGTERM (after a DISCONNECT) and the broker forgets them.
    for child in children[1:4]:
        child.send_signal(signal.SIGTERM)
    for child in children[1:4]:
        check(child.wait(timeout=5) == 0, "mdp_worker.py did not exit 0 on SIGTERM")
    known = services(endpoint)
    while time.monotonic() < DEADLINE and any(
            known.get(s, {}).get("workers", 0) for s in ("py01", "py02", "pystream")):
        time.sleep(0.02)  # between probes of the broker's own count
        known = services(endpoint)
    for service in ("py01", "py02", "pystream"):
        check(known.get(service, {}).get("workers", 0) == 0,
              "%s still has workers after its worker left: %r" % (service, known))
    print("ok: pyzmq MDP/0.1 + 0.2 clients and workers interoperate with zd-broker, "
          "zd-call and zd-worker")


try:
    main()
finally:
    for child in reversed(children):
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    for child in reversed(children):
        try:
            child.wait(timeout=5)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()

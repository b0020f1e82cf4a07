#!/usr/bin/env python3
"""How fast a service spreads through a fabric of federated zd-brokers (docs/FEDERATION.md).

For each shape — a full mesh of three hubs (every hub names the other two) and a chain of
three (a - b - c, two hops from end to end) — a worker registers on the last hub, and the
time until mmi.service answers 200 on every other hub is measured, --repeat times, each with
a fresh service name; then the worker leaves and the time until every hub answers 404 (the
withdrawal) is measured too. Prints a Markdown table: median and worst, in milliseconds.

The clock runs from the worker's READY leaving its socket to the first 200 (404) on the last
hub to answer; mmi.service is asked in turn on each hub that has not answered yet, so the
figures include one MMI round trip (about 0.1-0.3 ms here).

Usage: bench_federation.py PATH/TO/zd-broker [--repeat N] [--markdown FILE]
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

import zmq

READY_TIMEOUT_S = 10


def start_hub(broker, directory, name, peers):
    command = [broker, "-e", f"@ipc://{directory}/{name}", "--name", name, "-q"]
    for peer in peers:
        command += ["--peer", f">ipc://{directory}/{peer}"]
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    return process


def mmi_service(context, endpoint, service):
    socket = context.socket(zmq.DEALER)
    socket.setsockopt(zmq.LINGER, 0)
    socket.connect(endpoint)
    try:
        socket.send_multipart([b"MDPC02", b"\x01", b"mmi.service", service])
        if not socket.poll(5000, zmq.POLLIN):
            raise RuntimeError(f"no MMI answer from {endpoint}")
        return socket.recv_multipart()[-1]
    finally:
        socket.close()


def wait_all(context, endpoints, service, want, timeout_s=10.0):
    """Seconds until every endpoint answers want for service."""
    start = time.monotonic()
    pending = list(endpoints)
    while pending:
        if time.monotonic() - start > timeout_s:
            raise RuntimeError(f"{pending} did not answer {want!r} within {timeout_s} s")
        pending = [endpoint for endpoint in pending
                   if mmi_service(context, endpoint, service) != want]
    return time.monotonic() - start


def measure(context, broker, shape, repeat):
    with tempfile.TemporaryDirectory(prefix="zd-fedbench-") as directory:
        if shape == "mesh":
            hubs = {"a": ["b", "c"], "b": ["a", "c"], "c": ["a", "b"]}
        else:
            hubs = {"a": ["b"], "b": ["c"], "c": []}
        processes = [start_hub(broker, directory, name, peers) for name, peers in hubs.items()]
        try:
            others = [f"ipc://{directory}/{name}" for name in ("a", "b")]
            appear, vanish = [], []
            for round_ in range(repeat + 1):
                service = f"probe-{round_}".encode()
                worker = context.socket(zmq.DEALER)
                worker.setsockopt(zmq.LINGER, 0)
                worker.connect(f"ipc://{directory}/c")
                started = time.monotonic()
                worker.send_multipart([b"MDPW02", b"\x01", service])
                wait_all(context, others, service, b"200", READY_TIMEOUT_S)
                appear_s = time.monotonic() - started
                worker.send_multipart([b"MDPW02", b"\x06"])  # DISCONNECT
                left = time.monotonic()
                wait_all(context, others, service, b"404")
                vanish_s = time.monotonic() - left
                worker.close()
                if round_ > 0:  # the first round waits for the links to come up
                    appear.append(appear_s * 1000)
                    vanish.append(vanish_s * 1000)
            return appear, vanish
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(10)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("broker")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--markdown")
    options = parser.parse_args()
    context = zmq.Context()
    lines = ["| fabric | service usable everywhere, median ms | worst ms | "
             "withdrawn everywhere, median ms | worst ms |",
             "|---|--:|--:|--:|--:|"]
    for shape, label in (("mesh", "full mesh of 3 hubs (1 hop)"),
                         ("chain", "chain of 3 hubs (2 hops)")):
        appear, vanish = measure(context, options.broker, shape, options.repeat)
        lines.append(f"| {label} | {statistics.median(appear):.2f} | {max(appear):.2f} | "
                     f"{statistics.median(vanish):.2f} | {max(vanish):.2f} |")
    text = "\n".join(lines) + "\n"
    print(text, end="")
    if options.markdown:
        with open(options.markdown, "w") as file:
            file.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

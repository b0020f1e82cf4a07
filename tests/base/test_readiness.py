"""Every device tells a service manager it is ready: started with $NOTIFY_SOCKET set (what
systemd does for a Type=notify unit), it sends "READY=1" on that datagram socket once its
sockets are attached, after its ready line; without the variable it runs as before.

Usage: test_readiness.py ZD_QUEUE ZD_FORWARDER ZD_STREAMER ZD_BROKER ZD_JOURNAL ZD_TITANIC
"""

import os
import socket
import subprocess
import sys
import tempfile
import time

DEADLINE_S = 10


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


def wait_for_ready(device, notify_path, name, command):
    """Starts command with NOTIFY_SOCKET, returns (datagram, stderr text so far)."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(notify_path)
    listener.settimeout(DEADLINE_S)
    env = dict(os.environ, NOTIFY_SOCKET=notify_path)
    process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        try:
            datagram = listener.recv(4096).decode()
        except socket.timeout:
            fail(f"{name}: no sd_notify datagram within {DEADLINE_S} s")
        # The ready line is printed before the notification: it must be there already.
        process.terminate()
        _, stderr = process.communicate(timeout=DEADLINE_S)
        if process.returncode != 0:
            fail(f"{name}: exit {process.returncode} after SIGTERM:\n{stderr}")
        ready_lines = [line for line in stderr.splitlines() if f"{name}: ready " in line]
        if not ready_lines:
            fail(f"{name}: no ready line on stderr:\n{stderr}")
        return datagram
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        listener.close()


def main():
    if len(sys.argv) != 7:
        fail(__doc__)
    queue, forwarder, streamer, broker, journal, titanic = sys.argv[1:]
    tcp = "@tcp://127.0.0.1:*"
    with tempfile.TemporaryDirectory() as work:
        devices = {
            "zd-queue": [queue, "-f", tcp, "-b", tcp],
            "zd-forwarder": [forwarder, "-f", tcp, "-b", tcp],
            "zd-streamer": [streamer, "-f", tcp, "-b", tcp, "--engine", "libzmq"],
            "zd-broker": [broker, "-e", tcp],
            "zd-journal": [journal, "--dir", os.path.join(work, "journal"), "-f", tcp, "-b", tcp],
            # Titanic connects to a broker: none needs to run for it to be ready.
            "zd-titanic": [titanic, "--dir", os.path.join(work, "titanic"), "-b",
                           "tcp://127.0.0.1:9"],
        }
        for number, (name, command) in enumerate(devices.items()):
            datagram = wait_for_ready(name, os.path.join(work, f"notify-{number}"), name, command)
            if "READY=1" not in datagram.split("\n"):
                fail(f"{name}: sd_notify sent {datagram!r}, not READY=1")
            print(f"{name}: READY=1 after its ready line")
    print("ok")


if __name__ == "__main__":
    main()

"""zd-recv --show-identity prints who sent each message, as the transport authenticated it.

    pyzmq PUSH (plain) ---tcp---> zd-recv --show-identity @tcp://127.0.0.1:*

A plain peer has no identity: text lines start with "-<tab>-<tab>", json lines are objects
with null user_id and name. (CURVE peers, whose User-Id is their public key, are covered
once zd-recv takes --curve-* flags.)

Usage: test_recv_identity.py ZD_RECV
"""

import json
import re
import subprocess
import sys
import time

import zmq


def start_recv(recv, *args):
    process = subprocess.Popen([recv, "--show-identity", "-n", "2", *args, "@tcp://127.0.0.1:*"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        match = re.search(r"ready endpoint=@(tcp://\S+)", line)
        if match:
            return process, match.group(1)
        if not line and process.poll() is not None:
            break
    process.kill()
    raise SystemExit("zd-recv did not print its ready line")


def send_two(endpoint):
    context = zmq.Context.instance()
    push = context.socket(zmq.PUSH)
    push.setsockopt(zmq.LINGER, 2000)
    push.connect(endpoint)
    push.send_multipart([b"a", b"b"])
    push.send_multipart([b"c"])
    push.close()


def output_of(process):
    out, _ = process.communicate(timeout=10)
    if process.returncode != 0:
        raise SystemExit(f"zd-recv exited {process.returncode}")
    return out.splitlines()


def main():
    recv = sys.argv[1]

    process, endpoint = start_recv(recv)
    send_two(endpoint)
    lines = output_of(process)
    assert lines == ["-\t-\ta | b", "-\t-\tc"], lines

    process, endpoint = start_recv(recv, "--format", "json")
    send_two(endpoint)
    lines = [json.loads(line) for line in output_of(process)]
    assert lines == [{"user_id": None, "name": None, "frames": ["a", "b"]},
                     {"user_id": None, "name": None, "frames": ["c"]}], lines
    print("ok")


if __name__ == "__main__":
    main()

"""The authenticated identity is visible (issue 14, "Revocation and identity"), with the real
programs and pyzmq CURVE peers whose keys come from zd-keygen's certificate files:

    pyzmq DEALER "client-a" --PUB--> zd-journal --curve-cert server --curve-allow allowed/
    pyzmq DEALER "client-b" --PUB-->     |  STATS identities: client-a 2, client-b 1
                                         v
                                 zd-journal-tool dump: identity=KEY name=client-a per record

    pyzmq DEALER client, worker --MDP--> zd-broker --curve-*   STATS identities per peer
    pyzmq PUSH "client-a" ----------> zd-recv --show-identity --curve-* @tcp://...:
                                       KEY<tab>client-a<tab>hello

The names are the certificates' `name` metadata (zd-keygen: the file's name). Each part is
skipped (exit 77) while its program does not take --curve-cert yet.

Usage: test_identity_devices.py journal ZD-KEYGEN ZD-JOURNAL ZD-JOURNAL-TOOL
       test_identity_devices.py broker ZD-KEYGEN ZD-BROKER
       test_identity_devices.py recv ZD-KEYGEN ZD-RECV
"""

import json
import os
import re
import subprocess
import sys
import tempfile

import zmq
import zmq.auth

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
from zdinterop import Device, check, new_socket, recv_multipart, run  # noqa: E402

SKIP = 77


def takes_curve_flags(program):
    done = subprocess.run([program, "--help"], capture_output=True, text=True, timeout=10)
    return "--curve-cert" in done.stdout


class Keys:
    """zd-keygen's files: the server's pair, and clients whose public files are allowed."""

    def __init__(self, keygen, directory):
        self.directory = directory
        self.allowed = os.path.join(directory, "allowed")
        os.mkdir(self.allowed)
        self.server = self._make(keygen, "server", allowed=False)
        self.clients = {name: self._make(keygen, name) for name in ("client-a", "client-b")}

    def _make(self, keygen, name, allowed=True):
        base = os.path.join(self.allowed if allowed else self.directory, name)
        done = subprocess.run([keygen, base], capture_output=True, text=True, timeout=10)
        check(done.returncode == 0, f"zd-keygen {name}: {done.stderr}")
        if allowed:  # the secret stays out of the allow-list directory
            secret = os.path.join(self.directory, name + "_secret")
            os.rename(base + "_secret", secret)
        else:
            secret = base + "_secret"
        public_key, secret_key = zmq.auth.load_certificate(secret)
        return {"file": base, "secret_file": secret, "public": public_key, "secret": secret_key}

    def server_flags(self):
        return ["--curve-cert", self.server["secret_file"], "--curve-allow", self.allowed]

    def curve_socket(self, context, kind, endpoint, client):
        socket = context.socket(kind)
        socket.setsockopt(zmq.LINGER, 0)
        keys = self.clients[client]
        socket.curve_secretkey = keys["secret"]
        socket.curve_publickey = keys["public"]
        socket.curve_serverkey = self.server["public"]
        socket.connect(endpoint)
        return socket

    def key(self, client):
        return self.clients[client]["public"].decode()


def publish(socket, producer, count):
    for seq in range(1, count + 1):
        socket.send_multipart([f"PUB {producer} {seq} 1".encode(), f"m{seq}".encode()])
    while True:
        reply = recv_multipart(socket, 5000, f"the ACK of {producer}")
        if reply[0] == f"ACK {producer} {count}".encode():
            return


def curve_stats(context, keys, device):
    """STATS over the device's control socket, which follows the common --curve-* flags: asked
    as an allowed CURVE client."""
    socket = keys.curve_socket(context, zmq.REQ, device.address("control"), "client-a")
    try:
        socket.send(b"STATS")
        check(socket.poll(5000), f"{device.name}: no STATS reply over CURVE")
        return json.loads(socket.recv())
    finally:
        socket.close(linger=0)


def journal_stores_and_counts(context, keys, journal, tool, directory):
    data = os.path.join(directory, "journal")
    with Device(journal, "--dir", data, "-f", "@tcp://127.0.0.1:*", "-b", "@tcp://127.0.0.1:*",
                "--control", "@ipc://" + os.path.join(directory, "journal.ctl"),
                *keys.server_flags()) as device:
        a = keys.curve_socket(context, zmq.DEALER, device.address("frontend"), "client-a")
        b = keys.curve_socket(context, zmq.DEALER, device.address("frontend"), "client-b")
        publish(a, "pa", 2)
        publish(b, "pb", 1)
        listed = curve_stats(context, keys, device)["identities"]["listed"]
        counts = {row["user_id"]: (row["name"], row["messages"]) for row in listed}
        check(counts == {keys.key("client-a"): ("client-a", 2),
                         keys.key("client-b"): ("client-b", 1)},
              f"STATS identities: {listed}")
        a.close()
        b.close()
    done = subprocess.run([tool, "dump", data, "--format", "json"], capture_output=True,
                          text=True, timeout=10)
    check(done.returncode == 0, f"dump exited {done.returncode}: {done.stderr}")
    identities = [(record["producer"], record["identity"])
                  for record in map(json.loads, done.stdout.splitlines())]
    check(identities == [("pa", {"user_id": keys.key("client-a"), "name": "client-a"})] * 2 +
          [("pb", {"user_id": keys.key("client-b"), "name": "client-b"})],
          f"dump: {identities}")


def broker_counts(context, keys, broker, directory):
    with Device(broker, "--endpoint", "@tcp://127.0.0.1:*", "--control",
                "@ipc://" + os.path.join(directory, "broker.ctl"),
                *keys.server_flags()) as device:
        endpoint = device.address("endpoint")
        worker = keys.curve_socket(context, zmq.DEALER, endpoint, "client-b")
        client = keys.curve_socket(context, zmq.DEALER, endpoint, "client-a")
        worker.send_multipart([b"", b"MDPW01", b"\x01", b"echo"])
        client.send_multipart([b"", b"MDPC01", b"echo", b"hello"])
        request = recv_multipart(worker, 5000, "the request at the worker")
        worker.send_multipart([b"", b"MDPW01", b"\x03", request[3], b"", request[5]])
        reply = recv_multipart(client, 5000, "the reply")
        check(reply == [b"", b"MDPC01", b"echo", b"hello"], f"reply {reply}")
        listed = curve_stats(context, keys, device)["identities"]["listed"]
        rows = {row["user_id"]: row for row in listed}
        check(rows[keys.key("client-a")]["name"] == "client-a" and
              rows[keys.key("client-a")]["messages"] == 1, f"client row: {listed}")
        check(rows[keys.key("client-b")]["name"] == "client-b" and
              rows[keys.key("client-b")]["messages"] >= 2, f"worker row: {listed}")
        worker.close()
        client.close()


def recv_shows_identity(context, keys, recv):
    process = subprocess.Popen([recv, "--show-identity", "-n", "1", *keys.server_flags(),
                                "@tcp://127.0.0.1:*"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        endpoint = None
        while endpoint is None:
            line = process.stderr.readline()
            if not line:
                check(False, f"zd-recv exited before it was ready ({process.wait()})")
            match = re.search(r"ready endpoint=@(tcp://\S+)", line)
            endpoint = match and match.group(1)
        push = keys.curve_socket(context, zmq.PUSH, endpoint, "client-a")
        push.send(b"hello")
        out, _ = process.communicate(timeout=10)
        push.close()
    finally:
        if process.poll() is None:
            process.kill()
    check(out == f"{keys.key('client-a')}\tclient-a\thello\n", f"zd-recv printed {out!r}")


def test(context, part, keygen, *programs):
    with tempfile.TemporaryDirectory() as directory:
        keys = Keys(keygen, directory)
        if part == "journal":
            journal_stores_and_counts(context, keys, *programs, directory)
        elif part == "broker":
            broker_counts(context, keys, *programs, directory)
        else:
            recv_shows_identity(context, keys, *programs)


if __name__ == "__main__":
    # PART KEYGEN PROGRAM...: the device (or tool) under test first, helpers after it.
    device = sys.argv[3]
    if not takes_curve_flags(device):
        print(f"SKIPPED: {os.path.basename(device)} takes no --curve-cert yet")
        sys.exit(SKIP)
    sys.exit(run(test))

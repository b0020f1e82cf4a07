"""CURVE on the proxy devices (issue 14), with certificates from zd-keygen and pyzmq clients
written from the RFCs, against zd-streamer, zd-queue and zd-forwarder:

  - an allowed key delivers through the device, end to end;
  - an unknown key, a plain-text client and a client with the wrong server key get nothing
    through (each waits for its handshake's outcome on a socket monitor, then checks that
    nothing arrived);
  - the bytes on the wire carry no plaintext payload (a TCP relay of the test's own sits
    between a client and the device and keeps what passes);
  - a key added to the allow directory works at its next handshake, without a restart;
  - a key removed from it: its open connection is cut within 1 s and nothing it sends after
    arrives (libzmq alone keeps such a connection open);
  - fail closed, exit 2 naming the problem: CURVE without an allow-list, a secret
    certificate readable by others, a missing or malformed certificate, a bad Z85 key,
    connecting without the server's key, --engine native with CURVE.

Usage: test_curve_devices.py ZD-KEYGEN ZD-STREAMER ZD-QUEUE ZD-FORWARDER
"""

import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

import zmq
import zmq.auth

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
from zdinterop import Device, TestFailure, check, run, strip_log_time  # noqa: E402

TCP = "@tcp://127.0.0.1:*"
TIMEOUT_MS = 5000
NOTHING_MORE_MS = 300  # after a refusal was seen: a message would have arrived by now
SECRET = b"SECRET-PAYLOAD-7f3a9c"


class Keys:
    """Certificates made by zd-keygen in a temporary directory: the hub's, an allowed client's
    (in allow/), a stranger's (not in allow/)."""

    def __init__(self, keygen, directory):
        self.directory = directory
        self.keygen = keygen
        self.allow = os.path.join(directory, "allow")
        os.mkdir(self.allow)
        for name in ("hub", "client", "stranger", "late", "revokee"):
            self.make(name)
        shutil.copy(self.path("client"), self.allow)

    def make(self, name):
        done = subprocess.run([self.keygen, self.path(name)], capture_output=True, timeout=10)
        check(done.returncode == 0, f"zd-keygen {name}: {done.stderr!r}")

    def path(self, name):
        return os.path.join(self.directory, name)

    def pair(self, name):
        """(public, secret) as pyzmq takes them."""
        return zmq.auth.load_certificate(self.path(name) + "_secret")

    def public(self, name):
        return zmq.auth.load_certificate(self.path(name))[0]

    def device_flags(self):
        return ["--curve-cert", self.path("hub_secret"), "--curve-allow", self.allow]


def monitored(context, kind, keys=None, name=None, server_key=None):
    """A socket with a monitor, CURVE client keys if name is given."""
    sock = context.socket(kind)
    sock.linger = 0
    if name is not None:
        sock.curve_publickey, sock.curve_secretkey = keys.pair(name)
        sock.curve_serverkey = server_key if server_key is not None else keys.public("hub")
    monitor = sock.get_monitor_socket(zmq.EVENT_HANDSHAKE_SUCCEEDED |
                                      zmq.EVENT_HANDSHAKE_FAILED_AUTH |
                                      zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL |
                                      zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                                      zmq.EVENT_DISCONNECTED)
    return sock, monitor


def close_monitored(*pairs):
    """Closes (socket, monitor) pairs, the monitor first stopped so its inproc name is free."""
    for sock, monitor in pairs:
        sock.disable_monitor()
        monitor.close(linger=0)
        sock.close(linger=0)


def handshake_outcome(monitor):
    """The first handshake event (or disconnection) the monitor reports."""
    if not monitor.poll(TIMEOUT_MS):
        raise TestFailure("no handshake outcome within 5 s")
    frames = monitor.recv_multipart()
    return struct.unpack("=hi", frames[0][:6])[0]


def receive(sock, timeout_ms=TIMEOUT_MS):
    if not sock.poll(timeout_ms):
        return None
    return sock.recv_multipart()


class Relay:
    """A TCP relay on loopback between clients and a device, keeping every byte that passes
    from the client to the device."""

    def __init__(self, target):
        host, port = target.replace("tcp://", "").rsplit(":", 1)
        self.target = (host, int(port))
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen()
        self.address = "tcp://127.0.0.1:%d" % self.listener.getsockname()[1]
        self.seen = bytearray()
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        client, _ = self.listener.accept()
        upstream = socket.create_connection(self.target)
        threading.Thread(target=self._pipe, args=(client, upstream, True), daemon=True).start()
        threading.Thread(target=self._pipe, args=(upstream, client, False), daemon=True).start()

    def _pipe(self, source, sink, keep):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if keep:
                    with self.lock:
                        self.seen += data
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def bytes_seen(self):
        with self.lock:
            return bytes(self.seen)


def pair_for(device_name):
    """(sender kind, receiver kind, how a message goes through) for a device."""
    return {
        "zd-streamer": (zmq.PUSH, zmq.PULL),
        "zd-queue": (zmq.DEALER, zmq.DEALER),
        "zd-forwarder": (zmq.PUB, zmq.SUB),
    }[device_name]


def deliver_one(context, keys, device, name, payload, sender_address=None):
    """An allowed sender and receiver on both sides; returns what the receiver got."""
    send_kind, receive_kind = pair_for(device.name)
    receiver, receiver_monitor = monitored(context, receive_kind, keys, "client")
    if receive_kind == zmq.SUB:
        receiver.subscribe(b"")
    receiver.connect(device.address("backend"))
    check(handshake_outcome(receiver_monitor) == zmq.EVENT_HANDSHAKE_SUCCEEDED,
          f"{device.name}: the allowed receiver's handshake failed")
    sender, sender_monitor = monitored(context, send_kind, keys, name)
    sender.connect(sender_address or device.address("frontend"))
    check(handshake_outcome(sender_monitor) == zmq.EVENT_HANDSHAKE_SUCCEEDED,
          f"{device.name}: the allowed sender ({name}) was refused")
    deadline = time.monotonic() + 5
    while True:  # a SUB's subscription travels up first: publish until one arrives
        if device.name == "zd-queue":
            sender.send_multipart([b"", payload])
        else:
            sender.send(payload)
        got = receive(receiver, 100)
        if got is not None:
            break
        check(device.name == "zd-forwarder" and time.monotonic() < deadline,
              f"{device.name}: nothing arrived from an allowed sender")
    close_monitored((sender, sender_monitor), (receiver, receiver_monitor))
    return got


def refused(context, keys, device, name=None, server_key=None):
    """A sender that must get nothing through: its handshake fails, and a receiver that was
    let in receives nothing it sent."""
    send_kind, receive_kind = pair_for(device.name)
    receiver, receiver_monitor = monitored(context, receive_kind, keys, "client")
    if receive_kind == zmq.SUB:
        receiver.subscribe(b"")
    receiver.connect(device.address("backend"))
    check(handshake_outcome(receiver_monitor) == zmq.EVENT_HANDSHAKE_SUCCEEDED,
          f"{device.name}: the allowed receiver's handshake failed")
    sender, sender_monitor = monitored(context, send_kind, keys, name, server_key)
    sender.connect(device.address("frontend"))
    outcome = handshake_outcome(sender_monitor)
    check(outcome != zmq.EVENT_HANDSHAKE_SUCCEEDED,
          f"{device.name}: a sender that must be refused ({name or 'plain text'}) got in")
    for _ in range(10):
        try:
            sender.send_multipart([b"", SECRET] if device.name == "zd-queue" else [SECRET],
                                  zmq.NOBLOCK)
        except zmq.Again:
            pass
    check(receive(receiver, NOTHING_MORE_MS) is None,
          f"{device.name}: a message from a refused sender arrived")
    close_monitored((sender, sender_monitor), (receiver, receiver_monitor))
    return outcome


def device_scenarios(context, keys, program):
    with Device(program, "-f", TCP, "-b", TCP, *keys.device_flags()) as device:
        name = device.name
        got = deliver_one(context, keys, device, "client", b"hello")
        check(got[-1] == b"hello", f"{name}: received {got!r}")
        refused(context, keys, device, "stranger")
        refused(context, keys, device, None)  # plain text
        wrong = zmq.curve_keypair()[0]
        refused(context, keys, device, "client", server_key=wrong)

        relay = Relay(device.address("frontend"))
        got = deliver_one(context, keys, device, "client", SECRET, relay.address)
        check(got[-1] == SECRET, f"{name}: through the relay: {got!r}")
        wire = relay.bytes_seen()
        check(len(wire) > 0, f"{name}: the relay saw no bytes")
        check(SECRET not in wire, f"{name}: the payload crossed the wire in plain text")
        check(b"CURVE" in wire, f"{name}: the relay saw no CURVE greeting")

        # A key added to the allow directory: its next handshake gets in, no restart.
        refused(context, keys, device, "late")
        shutil.copy(keys.path("late"), keys.allow)
        deadline = time.monotonic() + 5
        while True:
            sock, monitor = monitored(context, pair_for(name)[0], keys, "late")
            sock.connect(device.address("frontend"))
            outcome = handshake_outcome(monitor)
            close_monitored((sock, monitor))
            if outcome == zmq.EVENT_HANDSHAKE_SUCCEEDED:
                break
            check(time.monotonic() < deadline, f"{name}: a key added to the allow directory "
                  "was still refused after 5 s")
        os.remove(os.path.join(keys.allow, "late"))
        revocation(context, keys, device)
        check(device.stop() == 0, f"{name} did not exit 0")
    print(f"{name}: allowed key delivers; unknown key, plain text and wrong server key get "
          f"nothing; no plaintext on the wire; an added key works without restart")


def revocation(context, keys, device):
    """A sender whose key leaves the allow directory while it is connected: cut within 1 s,
    and nothing it sends afterwards arrives."""
    name = device.name
    send_kind, receive_kind = pair_for(name)
    receiver, receiver_monitor = monitored(context, receive_kind, keys, "client")
    if receive_kind == zmq.SUB:
        receiver.subscribe(b"")
    receiver.connect(device.address("backend"))
    check(handshake_outcome(receiver_monitor) == zmq.EVENT_HANDSHAKE_SUCCEEDED,
          f"{name}: the allowed receiver's handshake failed")
    shutil.copy(keys.path("revokee"), keys.allow)
    deadline = time.monotonic() + 5
    while True:  # until the allow-list was re-read and the key gets in
        sender, monitor = monitored(context, send_kind, keys, "revokee")
        sender.connect(device.address("frontend"))
        if handshake_outcome(monitor) == zmq.EVENT_HANDSHAKE_SUCCEEDED:
            break
        close_monitored((sender, monitor))
        check(time.monotonic() < deadline, f"{name}: the revokee's key was never let in")

    def send(payload):
        sender.send_multipart([b"", payload] if name == "zd-queue" else [payload], zmq.NOBLOCK)

    deadline = time.monotonic() + 5
    while True:  # its traffic flows (a forwarder's subscriber needs its subscription up first)
        send(b"before")
        if receive(receiver, 100) is not None:
            break
        check(time.monotonic() < deadline, f"{name}: nothing from the revokee arrived")
    while receive(receiver, 50) is not None:
        pass
    os.remove(os.path.join(keys.allow, "revokee"))
    removed = time.monotonic()
    outcome = handshake_outcome(monitor)  # the next event on its connection
    took = time.monotonic() - removed
    check(outcome == zmq.EVENT_DISCONNECTED, f"{name}: after revocation the revokee saw event "
          f"{outcome}, not a disconnection")
    check(took <= 1.0, f"{name}: the revoked connection was cut after {took:.2f} s, over 1 s")
    for _ in range(10):
        try:
            send(SECRET)
        except zmq.Again:
            pass
    check(receive(receiver, NOTHING_MORE_MS) is None,
          f"{name}: a message from a revoked key arrived")
    close_monitored((sender, monitor), (receiver, receiver_monitor))
    print(f"{name}: a revoked key's open connection was cut after {took:.2f} s")


def exits_2(program, args, needle, what):
    done = subprocess.run([program, *args], stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=10)
    err = strip_log_time(done.stderr)
    check(done.returncode == 2, f"{what}: exit {done.returncode}, want 2; stderr {err!r}")
    check(needle in err, f"{what}: stderr does not say {needle!r}: {err!r}")


def fail_closed(keys, program):
    base = ["-f", TCP, "-b", TCP]
    hub = keys.path("hub_secret")
    exits_2(program, base + ["--curve-cert", hub], "no allow-list", "CURVE without allow-list")
    exits_2(program, base + ["--curve-allow", keys.allow], "no certificate of its own",
            "an allow-list without a certificate")
    exits_2(program, base + ["--curve-cert", keys.path("missing_secret"), "--curve-allow",
                             keys.allow], "missing_secret", "a missing certificate")
    loose = keys.path("loose_secret")
    shutil.copy(hub, loose)
    os.chmod(loose, 0o640)
    exits_2(program, base + ["--curve-cert", loose, "--curve-allow", keys.allow], "chmod 600",
            "a secret certificate readable by its group")
    broken = keys.path("broken_secret")
    with open(hub) as source:
        text = source.read()
    start = text.index('secret-key = "') + len('secret-key = "')
    with open(os.open(broken, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as sink:
        sink.write(text[:start] + "~~~~" + text[start + 4:])  # '~' is not Z85
    exits_2(program, base + ["--curve-cert", broken, "--curve-allow", keys.allow], "broken_secret",
            "a bad Z85 key")
    garbage = keys.path("garbage_secret")
    with open(os.open(garbage, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as sink:
        sink.write("this is not a certificate\n")
    exits_2(program, base + ["--curve-cert", garbage, "--curve-allow", keys.allow],
            "garbage_secret", "a malformed certificate")
    exits_2(program, ["-f", TCP, "-b", ">tcp://127.0.0.1:1", "--curve-cert", hub, "--curve-allow",
                      keys.allow], "server's public", "connecting without the server's key")
    exits_2(program, base + ["--curve-cert", hub, "--curve-allow", keys.allow, "--engine",
                             "native"], "does not support CURVE", "--engine native with CURVE")
    print(f"{os.path.basename(program)}: every fail-closed case exits 2 naming the problem")


def test(context, keygen, *devices):
    with tempfile.TemporaryDirectory() as directory:
        keys = Keys(keygen, directory)
        fail_closed(keys, devices[0])
        for program in devices:
            device_scenarios(context, keys, program)


if __name__ == "__main__":
    sys.exit(run(test))

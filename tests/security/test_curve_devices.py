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
import sys
import tempfile
import time

import zmq

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
from zdinterop import Device, check, run  # noqa: E402
from zdcurve import (NOTHING_MORE_MS, Keys, Relay, close_monitored, exits_2,  # noqa: E402
                     handshake_outcome, monitored, receive)

TCP = "@tcp://127.0.0.1:*"
SECRET = b"SECRET-PAYLOAD-7f3a9c"


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
        keys.make("revokee")
        fail_closed(keys, devices[0])
        for program in devices:
            device_scenarios(context, keys, program)


if __name__ == "__main__":
    sys.exit(run(test))

"""Every malformed message we can think of, sent to a running zd-broker: it must drop each one,
count each in STATS protocol_errors exactly, answer valid-but-unexpected commands with
DISCONNECT (counted apart), and still serve a normal request afterwards.

    attacker DEALER --[malformed ...]--> [zd-broker] <-- worker / client doing real work
    raw TCP socket  --[random bytes, not ZMTP]-->

The attacker finishes with an MMI request: replies on one connection keep their order, so
when its answer arrives every message before it has been handled.

Random bytes on a raw TCP connection come last and are not counted exactly: libzmq takes a
peer that sends no ZMTP 3 signature for a ZMTP/1.0 peer, so the bytes are cut into frames and
do reach the broker as messages (a random number of them). --max-msg-size keeps a random
8-byte length from making libzmq allocate gigabytes.

Usage: test_malformed.py PATH/TO/zd-broker
"""

import random
import socket as plain_socket

import zmq

from mdptest import (C01, C02, W01, W01_DISCONNECT, W02, Broker, Worker, check,
                     client_request_v01, new_socket, recv_multipart, run)

HEADERS = {b"MDPC01", b"MDPC02", b"MDPW01", b"MDPW02"}

# Each is one message as the DEALER sends it (the ROUTER adds the routing id in front).
MALFORMED = [
    # Nothing after the routing id but an empty frame ("0 frames" after the delimiter).
    [b""],
    [b"", b""],
    # Unknown or garbage headers.
    [b"MDPC03", b"echo", b"x"],
    [b"", b"mdpc01", b"echo", b"x"],
    [b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"],
    [b"\xff" * 10, b"\x00"],
    [b"", b"", b"MDPC01", b"echo", b"x"],
    [b"MDPW0", b"\x01", b"echo"],
    # Headers with nothing after them.
    [b"MDPC01"],
    [b"", b"MDPC02"],
    [b"", b"MDPW01"],
    [W02],
    # Command frames of 0 or 2 bytes, unknown command bytes.
    [b"", W01, b"", b"echo"],
    [b"", W01, b"\x01\x01", b"echo"],
    [W02, b"\x01\x00", b"echo"],
    [C02, b"", b"echo", b"x"],
    [C02, b"\x01\x01", b"echo", b"x"],
    [b"", W01, b"\x00"],
    [b"", W01, b"\x06"],
    [W02, b"\x07"],
    [W02, b"\xff"],
    [C02, b"\x02", b"echo", b"x"],  # PARTIAL goes broker -> client, never client -> broker
    [C02, b"\x03", b"echo", b"x"],
    # Empty and 256-byte service names.
    [b"", C01, b"", b"x"],
    [C02, b"\x01", b"", b"x"],
    [b"", W01, b"\x01", b""],
    [b"", C01, b"s" * 256, b"x"],
    [W02, b"\x01", b"s" * 256],
    # Missing service, body, client address, delimiter.
    [b"", C01, b"echo"],
    [C02, b"\x01"],
    [C02, b"\x01", b"echo"],
    [b"", W01, b"\x01"],
    [b"", W01, b"\x03"],
    [b"", W01, b"\x03", b"client"],
    [b"", W01, b"\x03", b"client", b"body"],
    [W02, b"\x04", b"client", b"not empty", b"body"],
    [b"", W01, b"\x03", b"client", b""],
    [W02, b"\x03", b"client", b""],
    # Extra frames after commands that take none.
    [b"", W01, b"\x04", b"extra"],
    [b"", W01, b"\x05", b""],
    [W02, b"\x05", b"x", b"y"],
    [W02, b"\x06", b"x"],
    [b"", W01, b"\x01", b"echo", b"extra"],
    # Huge frame counts: a HEARTBEAT with 20000 frames after it, and 5000 empty frames.
    [b"", W01, b"\x04"] + [b"x"] * 20000,
    [b""] * 5000,
]

# Valid MDP at the wrong moment: answered with DISCONNECT, not counted as protocol errors.
UNEXPECTED = [
    [b"", W01, b"\x03", b"client", b"", b"a reply nobody asked for"],
    [b"", W01, b"\x04"],  # HEARTBEAT before READY
    [W02, b"\x02", b"client", b"", b"a REQUEST from a worker"],
    [W02, b"\x03", b"client", b"", b"PARTIAL before READY"],
]


def random_garbage(rng, count):
    """Messages whose first frame is neither empty nor a header: invalid by construction."""
    messages = []
    for _ in range(count):
        first = rng.randbytes(rng.randint(1, 40))
        if first in HEADERS:
            first += b"!"
        frames = [first] + [rng.randbytes(rng.choice([0, 1, 2, 6, 50, 300]))
                            for _ in range(rng.randint(0, 30))]
        messages.append(frames)
    return messages


def raw_tcp_garbage(address, rng):
    """Bytes that are not ZMTP 3, on plain TCP connections (read by libzmq as ZMTP/1.0)."""
    host, port = address[len("tcp://"):].rsplit(":", 1)
    for size in (1, 10, 64, 100000):
        with plain_socket.create_connection((host, int(port)), timeout=2) as raw:
            try:
                raw.sendall(rng.randbytes(size))
            except OSError:
                pass  # libzmq may close on us mid-send: that is the point


def test(context, broker_path):
    rng = random.Random(20240611)
    garbage = random_garbage(rng, 200)
    with Broker(broker_path, "--heartbeat-interval", "1000", "--max-msg-size", "1000000") as broker:
        # A registered worker that breaks the protocol is disconnected and removed.
        victim = Worker(context, broker.endpoint, "echo", version=1)
        victim.ready()
        broker.wait_stats(lambda s: s["workers"] == 1, "the victim's READY")
        victim.socket.send_multipart([b"", W01, b"\x09"])
        command, rest = victim.receive(2000, "DISCONNECT after a bad command")
        check((command, rest) == (W01_DISCONNECT, []), f"expected DISCONNECT, got {command!r}")

        attacker = new_socket(context, zmq.DEALER, broker.endpoint, sndhwm=0, rcvhwm=0)
        for message in MALFORMED + garbage + UNEXPECTED:
            attacker.send_multipart(message)
        # The probe: an MMI request on the same connection, answered after all the above.
        attacker.send_multipart([C02, b"\x01", b"mmi.service", b"echo"])
        disconnects = 0
        while True:
            reply = recv_multipart(attacker, 10000, "the probe's answer after the garbage")
            if reply[:2] == [C02, b"\x03"]:
                check(reply == [C02, b"\x03", b"mmi.service", b"404"], f"probe got {reply!r}")
                break
            check(reply in ([b"", W01, W01_DISCONNECT], [W02, b"\x06"]),
                  f"the attacker got {reply!r}")
            disconnects += 1
        check(disconnects == len(UNEXPECTED),
              f"{disconnects} DISCONNECTs for {len(UNEXPECTED)} unexpected commands")

        stats = broker.broker_stats()
        expected_errors = 1 + len(MALFORMED) + len(garbage)
        check(stats["protocol_errors"] == expected_errors,
              f"protocol_errors {stats['protocol_errors']}, expected {expected_errors}")
        check(stats["disconnects_sent"] == 1 + len(UNEXPECTED), f"disconnects: {stats}")
        check(stats["requests"] == 1 and stats["workers"] == 0 and stats["clients"] == 0,
              f"the garbage left state behind: {stats}")
        check(stats["services_known"] == 1, f"services: {stats}")  # echo, from the victim

        # Raw bytes, then it must still work.
        raw_tcp_garbage(broker.endpoint, rng)
        worker = Worker(context, broker.endpoint, "echo", version=1)
        worker.ready()
        client = new_socket(context, zmq.REQ, broker.endpoint)
        client_request_v01(client, "echo", "still alive?")
        address, body = worker.receive_request(5000)
        check(body == [b"still alive?"], f"worker got {body!r}")
        worker.reply(address, b"yes")
        check(recv_multipart(client, 5000, "a normal reply") == [C01, b"echo", b"yes"],
              "no normal reply after the garbage")
        stats = broker.broker_stats()
        check(stats["protocol_errors"] >= expected_errors, f"stats went back: {stats}")
        check(stats["replies"] == 2 and stats["workers"] == 1, f"stats: {stats}")
        check(broker.process.poll() is None, "the broker died")
        for socket in (attacker, client, victim.socket, worker.socket):
            socket.close(linger=0)


if __name__ == "__main__":
    raise SystemExit(run(test))

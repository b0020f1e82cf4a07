"""Malformed input is counted and logged, and the log stays one line however much of it a
peer sends (issue 14: "every parser rejects bad input with a counted, logged error").

    abuser --100 malformed messages--> [device] <--round trips-- good peer

  zd-broker   [empty, "NOT-MDP"] on a DEALER: STATS broker.protocol_errors, "breaks MDP"
  zd-journal  "BOGUS" to the producers' frontend: STATS counters.malformed, ERR 400 each,
              "refused a malformed request"
  zd-streamer [empty] to the control socket (no command): ignored, "control: ignored"
  zd-streamer zmtp (native engine): raw tcp peers that finish the NULL handshake as PUSH,
              then send a command inside a message: STATS peers.frontend.protocol_errors,
              "breaking ZMTP" (before: counted as disconnections, logged with -v only)

Before, none of them was logged (the journal answered ERR 400 and counted, the broker and
the control server only counted). Each is logged once, then at most once a minute with how
many came since (base/rate_limited_log.hpp), so a peer cannot flood the log.

Usage: test_malformed_logged.py DEVICE [zmtp]
"""

import socket
import struct
import sys
import tempfile

import zmq

from abuse import PEERS, check, new_socket, recv_multipart, run, start_device

COUNT = 100


def abuse_broker(context, device):
    abuser = new_socket(context, zmq.DEALER, device.address("endpoint"))
    for _ in range(COUNT):
        abuser.send_multipart([b"", b"NOT-MDP"])
    device.wait_stats(lambda s: s["broker"]["protocol_errors"] == COUNT,
                      f"{COUNT} protocol errors")
    return abuser, "breaks MDP"


def abuse_journal(context, device):
    abuser = new_socket(context, zmq.DEALER, device.address("frontend"))
    for _ in range(COUNT):
        abuser.send(b"BOGUS")
    for _ in range(COUNT):
        reply = recv_multipart(abuser, 5000, "ERR 400")
        check(reply[0].startswith(b"ERR 400"), f"expected ERR 400, got {reply!r}")
    device.wait_stats(lambda s: s["counters"]["malformed"] == COUNT, f"{COUNT} malformed")
    return abuser, "refused a malformed request"


def abuse_control(context, device):
    abuser = new_socket(context, zmq.DEALER, device.address("control"))
    for _ in range(COUNT):
        abuser.send(b"")
    device.stats()  # answered after the malformed ones, which came first
    return abuser, "control: ignored"


ZMTP_OFFENDERS = 3


def zmtp_push_breaking_the_protocol():
    """A ZMTP 3.0 NULL greeting, READY as a PUSH, then a message frame with MORE set followed
    by a command: RFC 23 forbids a command inside a message."""
    greeting = (b"\xff" + bytes(8) + b"\x7f" + b"\x03\x00" + b"NULL".ljust(20, b"\0") + b"\0" +
                bytes(31))
    ready = (b"\x05READY" + bytes([len(b"Socket-Type")]) + b"Socket-Type" +
             struct.pack(">I", 4) + b"PUSH")
    return (greeting + bytes([0x04, len(ready)]) + ready + b"\x01\x01x" +
            bytes([0x04, 5]) + b"\x04PING")


def abuse_zmtp(context, device):
    host, port = device.address("frontend")[len("tcp://"):].rsplit(":", 1)
    for number in range(1, ZMTP_OFFENDERS + 1):
        with socket.create_connection((host, int(port)), timeout=5) as raw:
            raw.sendall(zmtp_push_breaking_the_protocol())
            device.wait_stats(lambda s: s["peers"]["frontend"]["protocol_errors"] == number,
                              f"protocol error {number} counted")
    return None, "breaking ZMTP"


ABUSES = {"zd-broker": abuse_broker, "zd-journal": abuse_journal,
          "zd-streamer": abuse_control, "zmtp": abuse_zmtp}


def test(context, path, kind=None):
    with tempfile.TemporaryDirectory() as directory:
        device = start_device(path, "native" if kind == "zmtp" else None, directory=directory)
        with device:
            good = PEERS[device.name](context, device)
            good.round_trip()
            abuser, marker = ABUSES[kind or device.name](context, device)
            good.round_trip()
            if abuser is not None:
                abuser.close(linger=0)
            good.close()
            check(device.stop() == 0, f"{device.name} did not exit 0 on SIGTERM")
        lines = [line for line in device.stderr_text.splitlines() if marker in line]
        check(len(lines) == 1, f"expected one log line with {marker!r}, got {lines}")


if __name__ == "__main__":
    sys.exit(run(test))

"""Malformed input is counted and logged, and the log stays one line however much of it a
peer sends (issue 14: "every parser rejects bad input with a counted, logged error").

    abuser --100 malformed messages--> [device] <--round trips-- good peer

  zd-broker   [empty, "NOT-MDP"] on a DEALER: STATS broker.protocol_errors, "breaks MDP"
  zd-journal  "BOGUS" to the producers' frontend: STATS counters.malformed, ERR 400 each,
              "refused a malformed request"
  zd-streamer [empty] to the control socket (no command): ignored, "control: ignored"

Before, none of them was logged (the journal answered ERR 400 and counted, the broker and
the control server only counted). Each is logged once, then at most once a minute with how
many came since (base/rate_limited_log.hpp), so a peer cannot flood the log.

Usage: test_malformed_logged.py DEVICE
"""

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


ABUSES = {"zd-broker": abuse_broker, "zd-journal": abuse_journal,
          "zd-streamer": abuse_control}


def test(context, path):
    with tempfile.TemporaryDirectory() as directory:
        device = start_device(path, None, directory=directory)
        with device:
            good = PEERS[device.name](context, device)
            good.round_trip()
            abuser, marker = ABUSES[device.name](context, device)
            good.round_trip()
            abuser.close(linger=0)
            good.close()
            check(device.stop() == 0, f"{device.name} did not exit 0 on SIGTERM")
        lines = [line for line in device.stderr_text.splitlines() if marker in line]
        check(len(lines) == 1, f"expected one log line with {marker!r}, got {lines}")


if __name__ == "__main__":
    sys.exit(run(test))

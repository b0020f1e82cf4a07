"""--max-msg-size cuts the peer that sends a larger message, and only that peer: the others
keep being served, the cut is counted in STATS and logged once (issue 14).

    good peer   --round trips, all along----------------> [device --max-msg-size 4096]
    offender 1..5  --one 64 KiB message each, then cut--> [        (its data side)    ]

On the native engine each cut is counted in STATS peers.<side>.oversize_disconnects and
logged once a minute at most (the first cut, then how many since). libzmq (the other devices,
and the proxy devices' libzmq engine) drops such a peer inside its I/O thread and reports it
to a socket monitor as a plain ZMQ_EVENT_DISCONNECTED (4.3.4; checked here): the cut is then
only seen in peers.<side>.disconnections, and oversize_disconnects stays 0 (docs/LIMITS.md).

Usage: test_max_msg_size.py DEVICE [ENGINE]   (ENGINE: native or libzmq, proxy devices only)
"""

import sys
import tempfile

import zmq

from abuse import (PEERS, check, check_alive, data_side, new_socket, run, start_device)

LIMIT = 4096
OFFENDERS = 5
OFFENDER_TYPES = {"zd-streamer": zmq.PUSH, "zd-queue": zmq.DEALER, "zd-forwarder": zmq.PUB,
                  "zd-broker": zmq.DEALER, "zd-journal": zmq.DEALER}


def cut_count(stats, side, engine):
    peers = stats["peers"][side]
    return peers["oversize_disconnects"] if engine == "native" else peers["disconnections"]


def test(context, path, engine=None):
    with tempfile.TemporaryDirectory() as directory:
        device = start_device(path, engine, "--max-msg-size", str(LIMIT), directory=directory)
        with device:
            if engine:
                check(device.stats()["engine"] == engine, f"STATS does not say engine {engine}")
            side = data_side(device)
            good = PEERS[device.name](context, device)
            good.round_trip()
            good.round_trip()  # at or under the limit: served (and the forwarder subscribed)
            for offender_number in range(1, OFFENDERS + 1):
                offender = new_socket(context, OFFENDER_TYPES[device.name],
                                      device.address(side))
                # "good" first: the forwarder passes on only the good subscriber's topic.
                oversized = b"good" + b"x" * (16 * LIMIT)
                offender.send(oversized)
                # The well-behaved peer is served while the device cuts the offender.
                while cut_count(device.stats(), side, engine) < offender_number:
                    good.round_trip()
                    check_alive(device)
                    if offender.socket_type == zmq.PUB:  # dropped until subscribed
                        offender.send(oversized)
                offender.close(linger=0)
            for _ in range(10):
                good.round_trip()
            stats = device.stats()["peers"][side]
            if engine == "native":
                # A PUB offender may be cut once more: it resends until it sees a cut.
                check(stats["oversize_disconnects"] >= OFFENDERS,
                      f"expected {OFFENDERS} oversize disconnects: {stats}")
            else:
                check(stats["oversize_disconnects"] == 0,
                      f"libzmq cannot tell an oversize cut from a disconnection: {stats}")
            good.close()
            check(device.stop() == 0, f"{device.name} did not exit 0 on SIGTERM")
        if engine == "native":
            cuts = [line for line in device.stderr_text.splitlines() if "--max-msg-size" in line]
            check(len(cuts) == 1, f"expected one log line for {OFFENDERS} cuts, got {cuts}")
            check(f"more than {LIMIT} bytes" in cuts[0], f"the log line says why: {cuts[0]}")


if __name__ == "__main__":
    sys.exit(run(test))

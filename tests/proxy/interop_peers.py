"""Who is connected, in STATS, on both engines of every proxy device: pyzmq peers come and go
and each side's "peers" object follows them, with the peers' own addresses; something that
is not ZMTP is counted as a handshake failure, not as a peer.

    pyzmq DEALER x3 --> [frontend] zd-queue [backend] <-- pyzmq DEALER (worker)

Usage: interop_peers.py ZD_QUEUE ZD_STREAMER ZD_FORWARDER
"""

import os
import socket as net
import sys

import zmq

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from zdinterop import ENGINES, check, check_engine, engine_device, new_socket, run

TCP = "@tcp://127.0.0.1:*"

# Each device's sockets for a peer on each side (what an application would use), and the
# side that must be read for the device to notice a peer leave (a held side is not read
# until the other has somewhere to send: back-pressure).
DEVICES = {
    "zd-queue": (zmq.DEALER, zmq.DEALER),
    "zd-streamer": (zmq.PUSH, zmq.PULL),
    "zd-forwarder": (zmq.PUB, zmq.SUB),
}




def peers(device, side):
    return device.stats()["peers"][side]


def backend_connected(n):
    return lambda peers: peers["backend"]["connected"] == n


def test_device(context, path, name, engine):
    front_type, back_type = DEVICES[name]
    with engine_device(path, engine, "-f", TCP, "-b", TCP) as device:
        check_engine(device, engine)
        check(peers(device, "frontend")["connected"] == 0, "peers before anyone connected")
        # A peer on the backend first, so that nothing holds the frontend.
        worker = new_socket(context, back_type, device.address("backend"))
        if back_type == zmq.SUB:
            worker.setsockopt(zmq.SUBSCRIBE, b"")
        device.wait_stats(backend_connected(1), f"{name}/{engine}: the backend peer", section="peers")
        clients = [new_socket(context, front_type, device.address("frontend")) for _ in range(3)]
        front = device.wait_stats(lambda p: p["frontend"]["connected"] == 3,
                                  f"{name}/{engine}: three frontend peers", section="peers")
        front = front["frontend"]
        check(front["connections"] == 3, f"connections: {front}")
        check(len(front["addresses"]) == 3, f"addresses listed: {front}")
        for address in front["addresses"]:
            host, port = address.rsplit(":", 1)
            check(host == "127.0.0.1" and port.isdigit(), f"address {address!r}")
        check(device.address("frontend").rsplit(":", 1)[1] not in
              [a.rsplit(":", 1)[1] for a in front["addresses"]],
              "addresses are the peers' own, not the device's endpoint")

        clients.pop().close(linger=0)
        front = device.wait_stats(lambda p: p["frontend"]["connected"] == 2,
                                  f"{name}/{engine}: a frontend peer leaving",
                                  section="peers")["frontend"]
        check(front["disconnections"] == 1 and front["connections"] == 3, f"after leave: {front}")

        # A ZMTP greeting asking for PLAIN of a NULL device: the handshake fails, and the
        # connection is counted as that, never as a peer.
        host, port = device.address("frontend")[len("tcp://"):].rsplit(":", 1)
        raw = net.create_connection((host, int(port)), timeout=5)
        raw.sendall(b"\xff" + b"\x00" * 8 + b"\x7f\x03\x00PLAIN" + b"\x00" * 47)
        device.wait_stats(lambda p: p["frontend"]["handshake_failures"] >= 1,
                          f"{name}/{engine}: a handshake failure", section="peers")
        raw.close()
        device.wait_stats(lambda p: p["frontend"]["connected"] == 2,
                          f"{name}/{engine}: the failed connection gone", section="peers")
        for client in clients:
            client.close(linger=0)
        worker.close(linger=0)
        device.wait_stats(lambda p: p["frontend"]["connected"] == 0 and
                          p["backend"]["connected"] == 0,
                          f"{name}/{engine}: everyone gone", section="peers")


def test(context, queue, streamer, forwarder):
    for path, name in ((queue, "zd-queue"), (streamer, "zd-streamer"),
                       (forwarder, "zd-forwarder")):
        for engine in ENGINES:
            test_device(context, path, name, engine)


if __name__ == "__main__":
    sys.exit(run(test))

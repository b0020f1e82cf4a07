"""A Majordomo 0.1 worker in its own process, for tests that kill workers with SIGKILL.

Usage: mdp_worker.py ENDPOINT SERVICE MODE NAME [HEARTBEAT_MS]
  MODE echo: answers every request with NAME + ":" + body
  MODE hold: prints "holding BODY" on stdout when it gets a request and never answers it,
             but keeps heartbeating: it is alive and stuck, until the test kills it.
Prints "ready" once READY is sent. Heartbeats every HEARTBEAT_MS (default 200).
"""

import sys
import time

import zmq

W01 = b"MDPW01"
READY, REQUEST, REPLY, HEARTBEAT, DISCONNECT = b"\x01", b"\x02", b"\x03", b"\x04", b"\x05"


def main(endpoint, service, mode, name, heartbeat_ms="200"):
    heartbeat_s = int(heartbeat_ms) / 1000
    context = zmq.Context()
    socket = context.socket(zmq.DEALER)
    socket.setsockopt(zmq.LINGER, 0)
    socket.connect(endpoint)
    socket.send_multipart([b"", W01, READY, service.encode()])
    print("ready", flush=True)
    next_heartbeat = time.monotonic() + heartbeat_s
    while True:
        timeout_ms = max(0, int((next_heartbeat - time.monotonic()) * 1000))
        if socket.poll(timeout_ms):
            frames = socket.recv_multipart()
            if frames[:2] != [b"", W01]:
                print(f"bad message {frames!r}", file=sys.stderr, flush=True)
                return 1
            command = frames[2]
            if command == REQUEST:
                client, body = frames[3], frames[5:]
                if mode == "hold":
                    print("holding " + body[0].decode(errors="replace"), flush=True)
                else:
                    socket.send_multipart([b"", W01, REPLY, client, b"",
                                           name.encode() + b":" + body[0]])
            elif command == DISCONNECT:
                print("disconnected", flush=True)
                return 0
        if time.monotonic() >= next_heartbeat:
            socket.send_multipart([b"", W01, HEARTBEAT])
            next_heartbeat = time.monotonic() + heartbeat_s


if __name__ == "__main__":
    raise SystemExit(main(*sys.argv[1:]))

#!/usr/bin/env python3
"""A Majordomo client in plain pyzmq, straight from the RFC frame tables.

MDP/0.1 (7/MDP) uses a REQ socket, MDP/0.2 (18/MDP) a DEALER; both talk to zd-broker (or any
MDP broker). Reliability is the zguide's "lazy pirate": when no reply comes within the
timeout, close the socket, open a new one and send again.

    python3 mdp_client.py tcp://127.0.0.1:5555 echo hello world
    python3 mdp_client.py --mdp 0.1 tcp://127.0.0.1:5555 mmi.service echo

Prints each reply frame on its own line (0.2 PARTIALs too, as they arrive). Exit 0 on a
reply, 1 when every attempt timed out, 2 on usage errors.

Frames (what the client sends / receives; REQ adds and strips the empty delimiter itself):
  0.1  REQUEST  "MDPC01" service body+        REPLY   "MDPC01" service body+
  0.2  REQUEST  "MDPC02" 0x01 service body+   PARTIAL "MDPC02" 0x02 service body+
                                              FINAL   "MDPC02" 0x03 service body+
"""
import argparse
import sys

import zmq

MDPC01 = b"MDPC01"
MDPC02 = b"MDPC02"
REQUEST, PARTIAL, FINAL = b"\x01", b"\x02", b"\x03"


class MajordomoClient:
    """One request at a time, with timeout and retries."""

    def __init__(self, endpoint, version="0.2", timeout_ms=2500, retries=3):
        self.endpoint = endpoint
        self.version = version
        self.timeout_ms = timeout_ms
        self.retries = retries
        self.context = zmq.Context.instance()
        self.socket = None
        self.connect()

    def connect(self):
        if self.socket is not None:
            self.socket.close(linger=0)  # a late reply to the old attempt goes nowhere
        kind = zmq.REQ if self.version == "0.1" else zmq.DEALER
        self.socket = self.context.socket(kind)
        self.socket.linger = 0
        self.socket.connect(self.endpoint)

    def request_frames(self, service, body):
        if self.version == "0.1":
            return [MDPC01, service] + body
        return [MDPC02, REQUEST, service] + body

    def call(self, service, body, on_partial=None):
        """Returns the reply body (a list of bytes), or None after every attempt timed out."""
        service = service.encode() if isinstance(service, str) else service
        body = [f.encode() if isinstance(f, str) else f for f in body] or [b""]
        for _attempt in range(self.retries + 1):
            self.socket.send_multipart(self.request_frames(service, body))
            while self.socket.poll(self.timeout_ms, zmq.POLLIN):
                frames = self.socket.recv_multipart()
                if self.version == "0.1":
                    # REQ stripped the empty frame: "MDPC01" service body+
                    if len(frames) >= 2 and frames[0] == MDPC01 and frames[1] == service:
                        return frames[2:]
                    continue
                if frames and frames[0] == b"":
                    frames = frames[1:]  # tolerate a broker that adds the delimiter
                if len(frames) < 3 or frames[0] != MDPC02 or frames[2] != service:
                    continue
                if frames[1] == FINAL:
                    return frames[3:]
                if frames[1] == PARTIAL and on_partial is not None:
                    on_partial(frames[3:])
            self.connect()
        return None

    def close(self):
        self.socket.close(linger=0)


def main():
    parser = argparse.ArgumentParser(description="Send one MDP request and print the reply.")
    parser.add_argument("endpoint", help="broker endpoint, e.g. tcp://127.0.0.1:5555")
    parser.add_argument("service")
    parser.add_argument("body", nargs="*", help="body frames (default: one empty frame)")
    parser.add_argument("--mdp", choices=["0.1", "0.2"], default="0.2")
    parser.add_argument("--timeout", type=int, default=2500, help="ms per attempt")
    parser.add_argument("--retries", type=int, default=3, help="attempts after the first")
    args = parser.parse_args()

    client = MajordomoClient(args.endpoint, args.mdp, args.timeout, args.retries)
    out = sys.stdout.buffer

    def show(frames):
        for frame in frames:
            out.write(frame + b"\n")
        out.flush()

    reply = client.call(args.service, args.body, on_partial=show)
    client.close()
    if reply is None:
        print("mdp_client.py: no reply from service '%s' after %d attempts"
              % (args.service, args.retries + 1), file=sys.stderr)
        return 1
    show(reply)
    return 0


if __name__ == "__main__":
    sys.exit(main())

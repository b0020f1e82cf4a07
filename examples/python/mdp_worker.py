#!/usr/bin/env python3
"""A Majordomo worker in plain pyzmq, straight from the RFC frame tables.

Serves one service through zd-broker (or any MDP broker) with a DEALER socket, MDP/0.1
(7/MDP) or MDP/0.2 (18/MDP). It heartbeats, notices a dead broker (nothing heard for
interval x liveness) and reconnects, and answers DISCONNECT by reconnecting.

    python3 mdp_worker.py tcp://127.0.0.1:5555 echo
    python3 mdp_worker.py --mdp 0.1 --upper tcp://127.0.0.1:5555 upper
    python3 mdp_worker.py --partials 3 tcp://127.0.0.1:5555 stream    # 0.2 only

The reply is the request body (--upper: upper-cased). With --partials N (0.2), N PARTIAL
replies "part 1".."part N" go first. SIGINT/SIGTERM: DISCONNECT, then exit 0.

Frames (DEALER: 0.1 puts an empty frame first, 0.2 does not):
  READY       0.1 "" "MDPW01" 0x01 service           0.2 "MDPW02" 0x01 service
  REQUEST  <- 0.1 "" "MDPW01" 0x02 client "" body+   0.2 "MDPW02" 0x02 client "" body+
  PARTIAL                                             0.2 "MDPW02" 0x03 client "" body+
  REPLY       0.1 "" "MDPW01" 0x03 client "" body+   0.2 "MDPW02" 0x04 client "" body+
  HEARTBEAT   0.1 "" "MDPW01" 0x04                   0.2 "MDPW02" 0x05
  DISCONNECT  0.1 "" "MDPW01" 0x05                   0.2 "MDPW02" 0x06
"""
import argparse
import signal
import sys
import time

import zmq

COMMANDS = {
    "0.1": dict(header=b"MDPW01", ready=b"\x01", request=b"\x02", reply=b"\x03",
                heartbeat=b"\x04", disconnect=b"\x05", partial=None),
    "0.2": dict(header=b"MDPW02", ready=b"\x01", request=b"\x02", partial=b"\x03",
                reply=b"\x04", heartbeat=b"\x05", disconnect=b"\x06"),
}


class MajordomoWorker:
    def __init__(self, endpoint, service, version="0.2", heartbeat_ms=2500, liveness=3,
                 reconnect_ms=2500):
        self.endpoint = endpoint
        self.service = service.encode()
        self.version = version
        self.c = COMMANDS[version]
        self.heartbeat_ms = heartbeat_ms
        self.liveness = liveness
        self.reconnect_ms = reconnect_ms
        self.context = zmq.Context.instance()
        self.socket = None
        self.stopping = False

    def send(self, command, *frames):
        prefix = [b""] if self.version == "0.1" else []
        self.socket.send_multipart(prefix + [self.c["header"], command] + list(frames))
        self.heartbeat_at = time.monotonic() + self.heartbeat_ms / 1000

    def connect(self):
        if self.socket is not None:
            self.socket.close(linger=0)
        self.socket = self.context.socket(zmq.DEALER)
        self.socket.linger = 500
        self.socket.connect(self.endpoint)
        self.send(self.c["ready"], self.service)
        self.expires_at = time.monotonic() + self.heartbeat_ms * self.liveness / 1000

    def serve(self, handle):
        """handle(body, partial) -> reply body; partial(frames) sends a PARTIAL (0.2)."""
        self.connect()
        while not self.stopping:
            now = time.monotonic()
            wait_ms = max(0, int((min(self.heartbeat_at, self.expires_at) - now) * 1000))
            if self.socket.poll(wait_ms, zmq.POLLIN):
                frames = self.socket.recv_multipart()
                self.expires_at = time.monotonic() + self.heartbeat_ms * self.liveness / 1000
                if frames and frames[0] == b"":
                    frames = frames[1:]
                if len(frames) < 2 or frames[0] != self.c["header"]:
                    continue  # not MDP: drop it
                command = frames[1]
                if command == self.c["request"] and len(frames) >= 4 and frames[3] == b"":
                    client, body = frames[2], frames[4:]

                    def partial(parts, client=client):
                        if self.c["partial"] is not None:
                            self.send(self.c["partial"], client, b"", *(parts or [b""]))

                    reply = handle(body, partial)
                    self.send(self.c["reply"], client, b"", *(reply or [b""]))
                elif command == self.c["disconnect"]:
                    time.sleep(self.reconnect_ms / 1000)
                    self.connect()
                # HEARTBEAT: being alive is all it says.
            now = time.monotonic()
            if now >= self.expires_at:
                print("mdp_worker.py: broker silent, reconnecting", file=sys.stderr)
                time.sleep(self.reconnect_ms / 1000)
                self.connect()
            elif now >= self.heartbeat_at:
                self.send(self.c["heartbeat"])
        self.send(self.c["disconnect"])
        self.socket.close()


def main():
    parser = argparse.ArgumentParser(description="Serve an MDP service (echo or upper-case).")
    parser.add_argument("endpoint", help="broker endpoint, e.g. tcp://127.0.0.1:5555")
    parser.add_argument("service")
    parser.add_argument("--mdp", choices=["0.1", "0.2"], default="0.2")
    parser.add_argument("--upper", action="store_true", help="reply upper-cased")
    parser.add_argument("--partials", type=int, default=0, help="PARTIALs before the FINAL")
    parser.add_argument("--heartbeat-interval", type=int, default=2500, help="ms")
    parser.add_argument("--heartbeat-liveness", type=int, default=3)
    parser.add_argument("--reconnect-delay", type=int, default=2500, help="ms")
    args = parser.parse_args()

    worker = MajordomoWorker(args.endpoint, args.service, args.mdp, args.heartbeat_interval,
                             args.heartbeat_liveness, args.reconnect_delay)

    def stop(_signum, _frame):
        worker.stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)

    def handle(body, partial):
        for i in range(args.partials):
            partial([b"part %d" % (i + 1)])
        return [frame.upper() for frame in body] if args.upper else body

    worker.serve(handle)
    return 0


if __name__ == "__main__":
    sys.exit(main())

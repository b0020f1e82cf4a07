#!/usr/bin/env python3
"""A zd-journal producer in plain pyzmq, straight from the frame tables in docs/JOURNAL.md.

Sends --count messages to the journal's frontend with acknowledgements, and resends what the
journal did not acknowledge, so nothing is lost across a journal restart:

    python3 journal_producer.py --endpoint tcp://127.0.0.1:5560 --count 1000 --name orders

Exit 0 once every message is acknowledged (durable), 1 when the journal refused a message or
made no progress for --timeout seconds, 2 on usage errors. A summary goes to stderr.

Frames (DEALER socket, so no empty delimiter). The first frame is a header line of tokens
separated by single spaces; only PUB carries more frames, the message itself:
  "PUB producer-id seq base" frame+   seq: +1 per message; base: oldest seq not yet acked
  "ACK producer-id seq"               every message of ours with sequence <= seq is durable
  "NACK producer-id expected"         the journal stores in sequence only: resend from expected
  "ERR code text"                     400 bad request, 413 too large, 503 unavailable (retry)
Producer ids are 1-255 printable ASCII characters without spaces.
Sequence numbers must grow across restarts of the producer: they start at the current time
in microseconds (like the C++ producer_t), or at --first-seq.
"""
import argparse
import collections
import sys
import time

import zmq


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--endpoint", default="tcp://127.0.0.1:5560", help="journal frontend")
    parser.add_argument("--count", type=int, default=10, help="messages to send")
    parser.add_argument("--name", default="py-producer", help="producer id (unique per producer)")
    parser.add_argument("--window", type=int, default=1000, help="messages in flight unacked")
    parser.add_argument("--size", type=int, default=0, help="pad each message to this many bytes")
    parser.add_argument("--first-seq", type=int, default=0, help="default: now in microseconds")
    parser.add_argument("--resend-after", type=float, default=1.0,
                        help="seconds without ACK progress before resending everything unacked")
    parser.add_argument("--timeout", type=float, default=10.0,
                        help="give up (exit 1) after this many seconds without ACK progress")
    args = parser.parse_args()
    if (args.count < 0 or args.window < 1 or not 1 <= len(args.name) <= 255
            or not all("!" <= c <= "~" for c in args.name)):
        parser.error("need --count >= 0, --window >= 1 and a --name of 1-255 printable "
                     "ASCII characters without spaces")

    name = args.name.encode()
    first = args.first_seq or time.time_ns() // 1000
    socket = zmq.Context.instance().socket(zmq.DEALER)
    socket.linger = 0
    socket.connect(args.endpoint)

    unacked = collections.OrderedDict()  # seq -> frames, oldest first
    next_seq = first
    last = first + args.count - 1  # the last seq this run sends
    acked = first - 1
    unsent = None  # the first unacked seq not (again) handed to the socket; None: all sent
    resends = nacks = 0
    progress = time.monotonic()  # last ACK progress
    resent_at = 0.0  # last resend round
    nacked = None  # the expected seq we already rewound to for a NACK

    def message(seq):
        body = b"%s %d" % (name, seq - first)
        return [body.ljust(args.size, b".")]

    def send_from(start):
        """Hands the unacked messages from seq start on to the socket, in order, never
        waiting: while the journal is away its queue fills (up to the high-water mark) and a
        blocking send would hang past --timeout. Returns the first seq not sent, or None."""
        if not unacked:
            return None
        base = next(iter(unacked))  # the oldest unacked seq
        for seq, frames in unacked.items():
            if seq < start:
                continue
            try:
                socket.send_multipart([b"PUB %s %d %d" % (name, seq, base)] + frames, zmq.NOBLOCK)
            except zmq.Again:
                return seq  # libzmq takes a message whole or not at all
        return None

    while acked < last:
        # New messages while the window has room.
        while next_seq <= last and len(unacked) < args.window:
            if not unacked:
                progress = time.monotonic()  # the resend clock starts with the first one
            unacked[next_seq] = message(next_seq)
            if unsent is None:
                unsent = next_seq
            next_seq += 1
        # New messages, and resends after a NACK or a stall, in order.
        if unsent is not None:
            unsent = send_from(unsent)

        due = max(progress, resent_at) + args.resend_after  # when a stall means resend
        wait = max(0.0, min(due, progress + args.timeout) - time.monotonic())
        events = zmq.POLLIN | (zmq.POLLOUT if unsent is not None else 0)
        ready = socket.poll(int(wait * 1000) + 1, events)
        if ready & zmq.POLLIN:
            while socket.poll(0, zmq.POLLIN):
                frames = socket.recv_multipart()
                if len(frames) != 1:
                    continue  # every answer to a producer is one header line
                frames = frames[0].split(b" ", 2)  # ERR's text keeps its spaces
                if len(frames) == 3 and frames[0] == b"ACK" and frames[1] == name:
                    seq = min(int(frames[2]), next_seq - 1)
                    if seq > acked:
                        acked = seq
                        progress = time.monotonic()
                        nacked = None
                        while unacked and next(iter(unacked)) <= acked:
                            unacked.popitem(last=False)
                elif len(frames) == 3 and frames[0] == b"NACK" and frames[1] == name:
                    expected = int(frames[2])
                    # expected <= acked: stale (a gap the same batch filled is NACKed after
                    # its ACK): nothing to resend.
                    if expected in unacked and expected != nacked:
                        nacked = expected
                        nacks += 1
                        unsent = expected if unsent is None else min(unsent, expected)
                elif len(frames) >= 2 and frames[0] == b"ERR":
                    text = frames[2].decode(errors="replace") if len(frames) > 2 else ""
                    if frames[1] != b"503":  # 503: the journal cannot store now; resend later
                        print("journal refused: %s %s" % (frames[1].decode(), text), file=sys.stderr)
                        return 1
        if ready:
            continue  # answers read, or room on the socket for what waits
        now = time.monotonic()
        if unacked and now - progress >= args.timeout:
            print("no acknowledgement for %.1f s: %d of %d messages acked"
                  % (args.timeout, acked - first + 1, args.count), file=sys.stderr)
            return 1
        if unacked and now >= due:
            # No ACK progress: the journal may have restarted. Same seqs: stored once.
            resends += 1
            resent_at = now
            unsent = next(iter(unacked))

    print("acked %d messages from '%s' (seq %d..%d), %d resend rounds, %d NACKs"
          % (args.count, args.name, first, last, resends, nacks), file=sys.stderr)
    socket.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

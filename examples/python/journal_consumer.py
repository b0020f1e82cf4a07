#!/usr/bin/env python3
"""A named zd-journal consumer in plain pyzmq, straight from the frame tables in docs/JOURNAL.md.

Subscribes to the journal's backend, prints each record and acknowledges it; the journal
keeps the name's position, so the next run resumes where this one stopped:

    python3 journal_consumer.py --endpoint tcp://127.0.0.1:5561 --name billing --count 100

Prints one line per record: offset, timestamp (ns since the epoch) and the frames, tab
separated (bytes that are not UTF-8 escaped). Exit 0 after --count records (0: run until
interrupted), 1 when nothing arrived for --timeout seconds or the journal refused the
subscription, 2 on usage errors.

Frames (DEALER socket, so no empty delimiter). The first frame is a header line of tokens
separated by single spaces; only REC carries more frames, the record itself:
  "SUB name [position [window]]"   position: stored (default), earliest, latest, an offset,
                                   or @ms-since-epoch; window: records in flight, 1..65536
  "REC offset timestamp-ns" frame+ in offset order, at most window unacknowledged
  "ACK offset"                     cumulative: every record <= offset is done
  "ERR code text"                  404 position no longer retained, 400 bad request
Delivery is at-least-once. After a journal restart the subscription is gone: SUB again from
the record after the last one acknowledged (records already printed are skipped by offset).
"""
import argparse
import sys
import time

import zmq


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--endpoint", default="tcp://127.0.0.1:5561", help="journal backend")
    parser.add_argument("--name", default="py-consumer", help="consumer name (1-255 bytes)")
    parser.add_argument("--count", type=int, default=0, help="records to take (0: no limit)")
    parser.add_argument("--position", default="stored",
                        help="stored, earliest, latest, an offset or @ms")
    parser.add_argument("--window", type=int, default=100, help="records in flight unacked")
    parser.add_argument("--resubscribe-after", type=float, default=1.0,
                        help="seconds of silence before subscribing again")
    parser.add_argument("--timeout", type=float, default=10.0,
                        help="give up (exit 1) after this many seconds without a record "
                        "(0: wait for ever)")
    parser.add_argument("--quiet", action="store_true", help="do not print records")
    args = parser.parse_args()
    if (not 1 <= len(args.name) <= 255 or not all("!" <= c <= "~" for c in args.name)
            or not 1 <= args.window <= 65536 or args.count < 0):
        parser.error("need a --name of 1-255 printable ASCII characters without spaces, "
                     "--window in 1..65536 and --count >= 0")

    name = args.name.encode()
    socket = zmq.Context.instance().socket(zmq.DEALER)
    socket.linger = 2000  # let the last ACK go out at exit
    socket.connect(args.endpoint)

    ack_every = max(1, args.window // 4)
    last_received = None  # highest offset printed
    acked = None  # highest offset acknowledged (sent)
    resume = None  # where a new SUB starts: the first record not acknowledged
    taken = 0
    errors = 0  # ERRs in a row: the SUB itself is refused, not just a stray ACK

    # Sends never wait: while the journal is away every idle second queues another SUB, and
    # a full queue must not hang the consumer. A SUB that does not fit is sent at the next
    # idle moment, an ACK that does not fit stays pending until then.
    def send(line):
        try:
            socket.send(line, zmq.NOBLOCK)
            return True
        except zmq.Again:
            return False

    def subscribe():
        position = args.position.encode() if resume is None else b"%d" % resume
        send(b"SUB %s %s %d" % (name, position, args.window))

    def ack(offset):
        nonlocal acked, resume
        if send(b"ACK %d" % offset):
            acked = offset
            resume = offset + 1

    subscribe()
    heard = time.monotonic()  # last message from the journal
    record_at = time.monotonic()  # last record
    while args.count == 0 or taken < args.count:
        if not socket.poll(int(args.resubscribe_after * 1000), zmq.POLLIN):
            # Idle: acknowledge what is done, and SUB again if the journal went quiet (it
            # may have restarted and forgotten us).
            if last_received is not None and (acked is None or acked < last_received):
                ack(last_received)
            if args.timeout > 0 and time.monotonic() - record_at >= args.timeout:
                print("no record for %.1f s (%d taken)" % (args.timeout, taken), file=sys.stderr)
                return 1
            if time.monotonic() - heard >= args.resubscribe_after:
                subscribe()
                heard = time.monotonic()
            continue
        frames = socket.recv_multipart()
        heard = time.monotonic()
        header = frames[0].split(b" ", 2)  # ERR's text keeps its spaces
        if len(frames) >= 2 and len(header) == 3 and header[0] == b"REC":
            errors = 0
            offset = int(header[1])
            if last_received is not None and offset <= last_received:
                continue  # redelivered after a new SUB: printed already
            last_received = offset
            if resume is None:
                resume = offset
            record_at = heard
            taken += 1
            if not args.quiet:
                text = "\t".join(f.decode(errors="backslashreplace") for f in frames[1:])
                print("%d\t%s\t%s" % (offset, header[2].decode(), text), flush=True)
            if acked is None or offset - acked >= ack_every:
                ack(offset)
        elif len(frames) == 1 and len(header) >= 2 and header[0] == b"ERR":
            text = header[2].decode(errors="replace") if len(header) > 2 else ""
            errors += 1
            if header[1] != b"400" or errors > 2:
                print("journal refused: %s %s" % (header[1].decode(), text), file=sys.stderr)
                return 1
            subscribe()  # "ACK before SUB": a restarted journal no longer knows us
    if last_received is not None and (acked is None or acked < last_received):
        ack(last_received)
    socket.close()  # lingers until the ACK is out
    print("took %d records as '%s'" % (taken, args.name), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

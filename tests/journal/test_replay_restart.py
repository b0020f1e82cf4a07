"""Replay from an offset while the journal is killed and restarted: every record delivered.

    reader (DEALER) --"READ next 500"--> zd-journal(DIR) [replay]     kill -9 every few pages,
                    <--REC ... END next--                               restart on DIR + ports

The reader pages through the journal from offset 1000 like a tape. When an answer stops
coming (the journal died mid-page), it asks again from the last offset it has, on a fresh
socket so that nothing from the old attempt can be mistaken for the new one. Every record
from 1000 to the end must arrive exactly once, in order, with its own content.
"""

import sys
import tempfile

import zmq

from journaltest import Journal, Producer, TestFailure, check, new_socket, parse_record, run

RECORDS = 20000
START = 1000
PAGE = 500
KILL_EVERY_PAGES = 6


def test(context, journal_path):
    with tempfile.TemporaryDirectory() as directory:
        journal = Journal(journal_path, directory).__enter__()
        try:
            ports = journal.ports()
            producer = Producer(context, ports["frontend"], "p")
            for i in range(RECORDS):
                producer.publish(b"r%d" % i, b"second frame")
            producer.wait_acked(RECORDS, timeout_ms=30000)
            producer.close()

            got = []  # offsets in arrival order
            position, pages, kills = START, 0, 0
            socket = None
            while position < RECORDS:
                if socket is None:
                    socket = new_socket(context, zmq.DEALER, ports["replay"])
                    socket.send(b"READ %d %d" % (position, PAGE))
                if pages and pages % KILL_EVERY_PAGES == 0 and kills < pages // KILL_EVERY_PAGES:
                    # Mid-page: take a few records of this page, then kill.
                    for _ in range(10):
                        if not socket.poll(5000):
                            break
                        frames = socket.recv_multipart()
                        if frames[0].startswith(b"REC "):
                            offset, _, body = parse_record(frames)
                            check(offset == position, f"expected {position}, got {offset}")
                            check(body == [b"r%d" % offset, b"second frame"], f"{body!r}")
                            got.append(offset)
                            position += 1
                    journal.process.kill()
                    journal.process.wait()
                    journal.kill()
                    journal = Journal(journal_path, directory, ports=ports).__enter__()
                    kills += 1
                    socket.close(linger=0)
                    socket = None
                    continue
                if not socket.poll(2000):  # the journal died with our READ: ask again
                    socket.close(linger=0)
                    socket = None
                    continue
                frames = socket.recv_multipart()
                tokens = frames[0].split(b" ")
                if tokens[0] == b"END":
                    check(int(tokens[1]) == position, f"END {tokens[1]!r} but at {position}")
                    pages += 1
                    socket.send(b"READ %d %d" % (position, PAGE))
                    continue
                if tokens[0] != b"REC":
                    raise TestFailure(f"unexpected answer {frames!r}")
                offset, _, body = parse_record(frames)
                check(offset == position, f"expected record {position}, got {offset}")
                check(body == [b"r%d" % offset, b"second frame"], f"record {offset}: {body!r}")
                got.append(offset)
                position += 1
            if socket is not None:
                socket.close(linger=0)
            check(got == list(range(START, RECORDS)), "records missing, repeated or out of order")
            check(kills >= 3, f"only {kills} kills happened")
            print(f"read {len(got)} records from offset {START} across {kills} kill -9 restarts")
        finally:
            journal.kill()


if __name__ == "__main__":
    sys.exit(run(test))

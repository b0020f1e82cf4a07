"""--max-record limits the record body, not the message (issue 11):

    producer "p" --PUB p seq base, frame--> zd-journal --max-record 100

The body is the producer id's length byte, the id, and per frame a 4-byte length and its
bytes (docs/JOURNAL.md, "On-disk format"): for producer "p" and one frame, 6 bytes plus the
frame. A 94-byte frame fills exactly 100 and is stored; a 95-byte one (101) is answered
ERR 413, and the text says it is the record body that is too large, with its size. A
message of more frames than such a body can hold (4 bytes per frame) is dropped as it is read
and answered ERR 413 too, and the journal goes on.
"""

import sys
import tempfile

from journaltest import Journal, Producer, check, recv_multipart, run


def test(context, journal_path):
    with tempfile.TemporaryDirectory() as directory, \
            Journal(journal_path, directory, "--max-record", "100") as journal:
        refused = Producer(context, journal.address("frontend"), "p")
        refused.publish(b"x" * 95)
        frames = recv_multipart(refused.socket, 5000, "the answer to a 101-byte body")
        check(len(frames) == 1 and frames[0].startswith(b"ERR 413 "), f"answered {frames!r}")
        check(b"record body" in frames[0] and b"101" in frames[0] and b"100" in frames[0],
              f"the ERR does not say the record body (101 bytes) is over 100: {frames[0]!r}")

        many = Producer(context, journal.address("frontend"), "m")
        many.publish(*([b""] * 1000))
        frames = recv_multipart(many.socket, 5000, "the answer to a 1000-frame message")
        check(len(frames) == 1 and frames[0].startswith(b"ERR 413 "), f"answered {frames!r}")

        accepted = Producer(context, journal.address("frontend"), "q")
        accepted.publish(b"y" * 94)
        accepted.wait_acked(1)
        stats = journal.stats()["counters"]
        check((stats["published"], stats["refused"]) == (1, 2), f"counters {stats}")
        check(journal.stop() == 0, "zd-journal did not exit 0 on SIGTERM")
        for producer in (refused, many, accepted):
            producer.close()


if __name__ == "__main__":
    sys.exit(run(test))

"""Fire-and-forget in, plain PUSH out: peers that speak no protocol at all.

    PUSH --> [frontend PULL] zd-journal(DIR) [backend PUSH] --> PULL
                                   [replay ROUTER] <-- READ

Messages sent with plain PUSH are journaled (replay finds them, with their frames) and a
plain PULL consumer receives their frames as sent, in order. A journal restarted on the same
directory continues the offsets.
"""

import sys
import tempfile

import zmq

from journaltest import Journal, check, new_socket, read, recv_multipart, run

COUNT = 500


def test(context, journal_path):
    with tempfile.TemporaryDirectory() as directory:
        args = ("--frontend-type", "pull", "--backend-type", "push")
        with Journal(journal_path, directory, *args) as journal:
            pull = new_socket(context, zmq.PULL, journal.address("backend"))
            push = new_socket(context, zmq.PUSH, journal.address("frontend"))
            for i in range(COUNT):
                push.send_multipart([b"plain-%d" % i, b"second"])
            for i in range(COUNT):
                frames = recv_multipart(pull, 5000, f"plain message {i}")
                check(frames == [b"plain-%d" % i, b"second"], f"message {i}: {frames!r}")
            records, next_offset = read(context, journal.address("replay"), "earliest", 1000)
            check(next_offset == COUNT and len(records) == COUNT, f"replay: {len(records)}")
            check(records[7][2] == [b"plain-7", b"second"], f"record 7: {records[7]!r}")
            check(journal.stop() == 0, "zd-journal did not exit 0 on SIGTERM")
            pull.close()
            push.close()
        with Journal(journal_path, directory, *args) as journal:
            push = new_socket(context, zmq.PUSH, journal.address("frontend"))
            push.send_multipart([b"after"])
            journal.wait_stats(lambda s: s["log"]["durable_next"] == COUNT + 1,
                               "the message sent after the restart to be stored")
            records, _ = read(context, journal.address("replay"), COUNT, 10)
            check([(r[0], r[2]) for r in records] == [(COUNT, [b"after"])], f"{records!r}")
            push.close()


if __name__ == "__main__":
    sys.exit(run(test))

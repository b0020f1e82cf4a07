"""Reading the journal like a tape on the replay socket:

    producer --> zd-journal(DIR) [replay ROUTER] <--READ position count-- reader
                                                 --REC... END next-->

READ from an offset, from earliest, from latest and from a time returns exactly the records
asked for, in order, then END with the offset to continue from; paging with that offset
walks the whole journal; a READ survives nothing special (it is stateless), and a bad READ
is answered ERR without disturbing anything.
"""

import sys
import tempfile
import time

from journaltest import Journal, Producer, check, read, run


def test(context, journal_path):
    with tempfile.TemporaryDirectory() as directory, Journal(journal_path, directory) as journal:
        endpoint = journal.address("replay")
        producer = Producer(context, journal.address("frontend"), "p1")
        for i in range(300):
            producer.publish(b"m%d" % i, b"f2")
        producer.wait_acked(300)
        # Rounded up: every record so far was stamped before this millisecond began.
        middle_ms = int(time.time() * 1000) + 1
        time.sleep(0.005)  # the clock must move on: timestamps before and after this point
        for i in range(300, 400):
            producer.publish(b"m%d" % i, b"f2")
        producer.wait_acked(400)

        records, next_offset = read(context, endpoint, 10, 5)
        check([r[0] for r in records] == [10, 11, 12, 13, 14], f"offsets {[r[0] for r in records]}")
        check(records[0][2] == [b"m10", b"f2"], f"frames {records[0][2]!r}")
        check(next_offset == 15, f"END {next_offset}")

        # Page through everything, 64 at a time.
        seen, position = [], "earliest"
        while True:
            records, next_offset = read(context, endpoint, position, 64)
            seen += [offset for offset, _, _ in records]
            if not records:
                break
            position = next_offset
        check(seen == list(range(400)), f"paging saw {len(seen)} records")
        check(next_offset == 400, f"END at the end: {next_offset}")

        records, next_offset = read(context, endpoint, "latest", 10)
        check(records == [] and next_offset == 400, f"latest: {records!r} {next_offset}")

        records, next_offset = read(context, endpoint, "@%d" % middle_ms, 1000)
        check(records and records[0][0] == 300 and len(records) == 100,
              f"from time: first {records[0][0] if records else None}, {len(records)} records")
        check(all(r[1] >= middle_ms * 10**6 for r in records), "a record older than asked for")

        for bad in ([b"READ"], [b"READ x 1"], [b"READ 1 0"], [b"READ 1 65537"],
                    [b"READ 999 1"], [b"READ stored 1"], [b"READ 1 1", b"extra"], [b"NOPE"]):
            socket = context.socket(__import__("zmq").DEALER)
            socket.setsockopt(__import__("zmq").LINGER, 0)
            socket.connect(endpoint)
            socket.send_multipart(bad)
            check(socket.poll(5000), f"no answer to {bad!r}")
            reply = socket.recv_multipart()
            check(len(reply) == 1 and reply[0][:8] in (b"ERR 400 ", b"ERR 404 "),
                  f"{bad!r} answered {reply!r}")
            socket.close()
        records, next_offset = read(context, endpoint, 399, 10)
        check(len(records) == 1 and next_offset == 400, "replay broken after bad READs")
        check(journal.stop() == 0, "zd-journal did not exit 0 on SIGTERM")
        producer.close()


if __name__ == "__main__":
    sys.exit(run(test))

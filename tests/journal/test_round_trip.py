"""Producer -> zd-journal -> consumer, with plain pyzmq peers from the frame tables.

    producer (DEALER) --PUB--> [frontend ROUTER] zd-journal [backend ROUTER] <--SUB/ACK-- consumer
                      <--ACK--      DIR/*.seg              --REC-->

Every message, with its frame boundaries and bytes (empty frames, binary, 64 KiB), comes out
once, in order, with dense offsets from 0; every PUB is acknowledged (cumulatively) and the
statistics count exactly what passed.
"""

import sys
import tempfile

from journaltest import Consumer, Journal, Producer, check, run

COUNT = 2000


def message(i):
    """A varied multipart message: sizes and frame counts change with i."""
    frames = [b"msg-%d" % i]
    if i % 3 == 0:
        frames.append(b"")
    if i % 5 == 0:
        frames.append(bytes(range(256)))
    if i % 997 == 0:
        frames.append(b"x" * 65536)
    return frames


def test(context, journal_path):
    with tempfile.TemporaryDirectory() as directory, Journal(journal_path, directory) as journal:
        producer = Producer(context, journal.address("frontend"), "p1")
        for i in range(COUNT):
            producer.publish(*message(i))
        producer.wait_acked(COUNT)
        check(not producer.unacked, f"unacknowledged after the last ACK: {len(producer.unacked)}")

        consumer = Consumer(context, journal.address("backend"), "c1", "earliest", 100)
        for i in range(COUNT):
            offset, timestamp, frames = consumer.receive(what=f"record {i}")
            check(offset == i, f"record {i} came with offset {offset}")
            check(frames == message(i), f"record {i}: frames {frames[:3]!r} differ")
            check(timestamp > 1_600_000_000 * 10**9, f"record {i}: timestamp {timestamp}")
            if i % 50 == 49:
                consumer.ack(offset)
        check(not consumer.socket.poll(100), "a record beyond the last one arrived")

        stats = journal.wait_stats(
            lambda s: s["consumers"] and s["consumers"][0]["acked_next"] == COUNT,
            "the consumer's acknowledged offset to reach the end")
        counters = stats["counters"]
        check(counters["published"] == COUNT, f"published {counters['published']}")
        check(counters["duplicates"] == 0, f"duplicates {counters['duplicates']}")
        check(counters["delivered"] == COUNT, f"delivered {counters['delivered']}")
        check(counters["malformed"] == 0, f"malformed {counters['malformed']}")
        check(stats["log"]["next_offset"] == COUNT, f"next_offset {stats['log']['next_offset']}")
        check(journal.stop() == 0, "zd-journal did not exit 0 on SIGTERM")
        producer.close()
        consumer.close()


if __name__ == "__main__":
    sys.exit(run(test))

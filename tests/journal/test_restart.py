"""What survives a restart of zd-journal on the same directory and ports:

    producer --> zd-journal(DIR) --> consumer "c1"      stop (SIGTERM), start again on DIR
                                                         and the same ports

- every acknowledged message is still there, at the same offset;
- the consumer resumes at its stored offset: what it acknowledged is not sent again, what it
  was sent but did not acknowledge (200..499) is (at-least-once);
- a producer that resends messages the journal already has gets them acknowledged but not
  stored twice (dedup by producer id and sequence), and new messages continue the offsets.
"""

import sys
import tempfile

from journaltest import Consumer, Journal, Producer, check, run


def test(context, journal_path):
    with tempfile.TemporaryDirectory() as directory:
        with Journal(journal_path, directory) as journal:
            ports = journal.ports()
            producer = Producer(context, journal.address("frontend"), "p1")
            for i in range(500):
                producer.publish(b"m%d" % i)
            producer.wait_acked(500)
            consumer = Consumer(context, journal.address("backend"), "c1", "earliest", 300)
            for i in range(300):
                offset, _, frames = consumer.receive()
                check((offset, frames) == (i, [b"m%d" % i]), f"record {i}: {offset} {frames}")
            consumer.ack(199)  # records 200..299 were sent but are not acknowledged
            # The ACK opens the window: 300..499 follow. Take them too, unacknowledged.
            journal.wait_stats(lambda s: s["consumers"][0]["acked_next"] == 200,
                               "the consumer's ACK to arrive")
            for i in range(300, 500):
                offset, _, frames = consumer.receive()
                check((offset, frames) == (i, [b"m%d" % i]), f"record {i}: {offset} {frames}")
            check(journal.stop() == 0, "zd-journal did not exit 0 on SIGTERM")

        with Journal(journal_path, directory, ports=ports) as journal:
            # The producer never learnt of the restart: it resends 401..500 as if their ACK
            # had been lost, then sends new ones.
            for seq in range(401, 501):
                producer.socket.send_multipart([b"PUB p1 %d 401" % seq, b"m%d" % (seq - 1)])
            producer.wait_acked(500)
            for i in range(500, 600):
                producer.publish(b"m%d" % i)
            producer.wait_acked(600)

            consumer.subscribe()  # stored position
            for i in range(200, 600):
                offset, _, frames = consumer.receive(what=f"record {i} after the restart")
                check((offset, frames) == (i, [b"m%d" % i]),
                      f"after restart: expected {i} m{i}, got {offset} {frames}")
            consumer.ack(599)
            check(not consumer.socket.poll(100), "a record beyond the last one arrived")
            stats = journal.wait_stats(lambda s: s["consumers"][0]["acked_next"] == 600,
                                       "the consumer's last ACK")
            check(stats["counters"]["duplicates"] == 100,
                  f"duplicates {stats['counters']['duplicates']}, expected 100")
            check(stats["log"]["next_offset"] == 600, f"next_offset {stats['log']['next_offset']}")
            check(journal.stop() == 0, "zd-journal did not exit 0 on SIGTERM")
        producer.close()
        consumer.close()


if __name__ == "__main__":
    sys.exit(run(test))

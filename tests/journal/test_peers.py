"""zd-journal says who is connected (issue 12, "who is connected"): STATS "peers" per side
(frontend: producers, backend: consumers, replay: readers) and, with --events, a
"connected"/"disconnected" event for each, as the proxy devices and zd-broker do.

    pyzmq producer --> zd-journal(DIR) <-- pyzmq consumer, pyzmq reader
                          |--events--> pyzmq SUB

Before: STATS had no "peers" and the journal published no peer events.
"""

import sys
import tempfile

import zmq

from journaltest import Consumer, Journal, Producer, check, new_socket, run
from zdevents import subscribe, wait_event


def connected(stats, side):
    return stats["peers"][side]["connected"]


def test(context, journal_path):
    with tempfile.TemporaryDirectory() as directory, \
            Journal(journal_path, directory, "--events", "@tcp://127.0.0.1:*") as journal:
        sub = subscribe(context, journal)
        check(all(connected(journal.stats(), side) == 0
                  for side in ("frontend", "backend", "replay")), "peers before anyone came")

        producer = Producer(context, journal.address("frontend"), "p")
        came = wait_event(sub, "connected", "the producer connecting", side="frontend")
        check(came["device"] == "zd-journal" and came["address"].startswith("127.0.0.1:"),
              f"the producer's event: {came}")
        producer.publish(b"one")
        producer.wait_acked(1)
        consumer = Consumer(context, journal.address("backend"), "c", "earliest")
        wait_event(sub, "connected", "the consumer connecting", side="backend")
        check(consumer.receive()[0] == 0, "the consumer got no record 0")
        reader = new_socket(context, zmq.DEALER, journal.address("replay"))
        wait_event(sub, "connected", "the reader connecting", side="replay")

        stats = journal.wait_stats(
            lambda s: all(connected(s, side) == 1 for side in ("frontend", "backend", "replay")),
            "one peer on each side")
        check(stats["peers"]["frontend"]["addresses"] == [came["address"]],
              f"the producer's address in STATS: {stats['peers']}")

        producer.close()
        wait_event(sub, "disconnected", "the producer leaving", side="frontend")
        consumer.close()
        wait_event(sub, "disconnected", "the consumer leaving", side="backend")
        journal.wait_stats(lambda s: connected(s, "frontend") == 0 and connected(s, "backend") == 0
                           and s["peers"]["frontend"]["disconnections"] == 1,
                           "the producer and the consumer gone")
        check(journal.stop() == 0, "zd-journal did not exit 0 on SIGTERM")
        reader.close(linger=0)
        sub.close(linger=0)


if __name__ == "__main__":
    sys.exit(run(test))

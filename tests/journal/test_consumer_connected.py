"""STATS says a named consumer is connected only while its session is alive (issue 12):

    producer --> zd-journal(DIR) --> consumer "c", session 1 (closes)
                                 --> consumer "c", session 2 (closes)
                                 --> consumer "live" (idle, PINGs every 0.5 s)

A ROUTER is not told that a peer left, so "connected" means: heard from (SUB, ACK, PING) or
delivered to within the last 3 s (docs/JOURNAL.md, "Consumer"). It used to stay true for
ever after the second session of a name had closed (30 s later still true).
"""

import sys
import tempfile
import time

import zmq

from journaltest import Consumer, Journal, Producer, check, recv_multipart, run

LIVENESS_S = 3.0  # the documented bound


def entry(journal, name):
    for consumer in journal.stats()["consumers"]:
        if consumer["name"] == name:
            return consumer
    return None


def ping(consumer):
    consumer.socket.send(b"PING")
    check(recv_multipart(consumer.socket, 5000, "PONG") == [b"PONG"], "PING not answered")


def session(context, journal, name, expect):
    consumer = Consumer(context, journal.address("backend"), name, "earliest")
    got = [consumer.receive(what=f"record {i} of {name}")[0] for i in range(expect)]
    check(got == list(range(expect)), f"{name} received {got}")
    consumer.ack(got[-1])
    ping(consumer)
    check(entry(journal, name)["connected"], f"{name} not connected while its session is open")
    return consumer


def test(context, journal_path):
    with tempfile.TemporaryDirectory() as directory, Journal(journal_path, directory) as journal:
        producer = Producer(context, journal.address("frontend"), "p")
        for i in range(3):
            producer.publish(b"m%d" % i)
        producer.wait_acked(3)

        first = session(context, journal, "c", 3)
        first.close()
        second = session(context, journal, "c", 3)  # takes the name over
        live = session(context, journal, "live", 3)
        second.close()
        closed_at = time.monotonic()

        # The closed session flips to false within the bound; the idle live one that PINGs
        # stays true all along.
        while entry(journal, "c")["connected"]:
            check(time.monotonic() - closed_at < LIVENESS_S + 1.5,
                  f"'c' still connected {LIVENESS_S + 1.5} s after its socket closed: "
                  f"{entry(journal, 'c')}")
            ping(live)
            time.sleep(0.25)
        check(time.monotonic() - closed_at > LIVENESS_S - 0.5,
              "'c' flipped to false sooner than the documented bound")
        for _ in range(4):
            ping(live)
            check(entry(journal, "live")["connected"], "a live consumer that PINGs shows false")
            time.sleep(0.5)
        check(entry(journal, "c")["acked_next"] == 3, "the stored position was lost")

        # A new session of the name is connected again at once.
        third = Consumer(context, journal.address("backend"), "c")
        ping(third)
        check(entry(journal, "c")["connected"], "a new session of 'c' is not connected")
        check(journal.stop() == 0, "zd-journal did not exit 0 on SIGTERM")
        for socket in (producer, live, third):
            socket.close()


if __name__ == "__main__":
    sys.exit(run(test))

"""Nothing acknowledged is ever lost: zd-journal killed with SIGKILL at seeded random moments.

    producer "p1" --PUB--> zd-journal(DIR) --REC--> consumer "c1"
         <--ACK--        kill -9, restart on DIR     <--ACK--
                         and the same ports, N times

The producer keeps many messages in flight and resends whatever is unacknowledged after each
restart (the journal drops the ones it already has). The consumer acknowledges as it goes and
re-subscribes after each restart. A checker logs every acknowledged (producer, seq) and every
delivered one and reports lost / duplicated / unexpected:
- lost: acknowledged but never delivered — must be 0;
- unexpected: delivered but never sent — must be 0;
- order: first deliveries come in sequence order, at dense offsets;
- duplicated: redeliveries, bounded by the consumer's window (plus acknowledgements not yet
  stored) per re-subscription.

Usage: test_crash.py ZD_JOURNAL [MESSAGES [KILLS [SEED]]] (defaults 100000 20 1).
"""

import os
import random
import sys
import tempfile
import time

import zmq

import journaltest  # puts tests/support on the path
import zdinterop
from journaltest import Consumer, Journal, Producer, TestFailure, check, parse_record, run

PRODUCER_WINDOW = 5000  # messages in flight without an ACK
CONSUMER_WINDOW = 1000  # records in flight without an ACK
CONSUMER_ACK_EVERY = 200
STALL_TIMEOUT_S = 10  # no progress at all for this long is a failure


def test(context, journal_path, messages="100000", kills="20", seed="1"):
    messages, kills = int(messages), int(kills)
    rng = random.Random(int(seed))
    # Kill when this many messages are acknowledged: seeded, spread over the whole run.
    kill_points = sorted(rng.sample(range(1, messages), kills))

    with tempfile.TemporaryDirectory() as directory:
        journal = Journal(journal_path, directory, "--batch-max", "500").__enter__()
        ports = journal.ports()
        producer = Producer(context, ports["frontend"], "p1")
        consumer = Consumer(context, ports["backend"], "c1", "earliest", CONSUMER_WINDOW)
        consumer.last_ack = -1  # the last ACK sent since the last SUB
        delivered = []  # seq of every delivery, in arrival order (duplicates included)
        offsets = []  # the offset of every delivery
        consumer_next = 0  # the offset after the last record the consumer has seen
        restarts = 0
        resubscribes = 0  # SUBs after the first, each may repeat records
        last_progress = last_ack_progress = last_record_or_ack = time.monotonic()
        last_acked = 0
        last_trace = 0.0
        try:
            while producer.acked < messages or len(set(delivered)) < messages:
                while len(producer.unacked) < PRODUCER_WINDOW and producer.next_seq <= messages:
                    producer.publish(b"p1:%d" % producer.next_seq)

                if kill_points and producer.acked >= kill_points[0]:
                    kill_points.pop(0)  # one kill per point, even when ACKs jumped past several
                    journal.process.kill()  # SIGKILL: no chance to flush or say goodbye
                    journal.process.wait()
                    journal.kill()
                    journal = Journal(journal_path, directory, "--batch-max", "500",
                                      ports=ports).__enter__()
                    restarts += 1
                    producer.resend_unacked()
                    consumer.subscribe()  # from its stored offset
                    resubscribes += 1
                    consumer.last_ack = -1

                progressed = False
                poller_events = dict(_poll(producer.socket, consumer.socket, 10))
                if producer.socket in poller_events:
                    while producer.socket.poll(0):
                        producer.handle(producer.socket.recv_multipart())
                        progressed = True
                if consumer.socket in poller_events:
                    while consumer.socket.poll(0):
                        message = consumer.socket.recv_multipart()
                        if message[0].startswith(b"ERR "):
                            # "ACK before SUB": the SUB died with the old connection.
                            check(message[0].startswith(b"ERR 400"), f"consumer got {message!r}")
                            consumer.subscribe()
                            resubscribes += 1
                            consumer.last_ack = -1
                            continue
                        offset, _, frames = parse_record(message)
                        check(len(frames) == 1 and frames[0].startswith(b"p1:"),
                              f"unexpected record at offset {offset}: {frames!r}")
                        delivered.append(int(frames[0][3:]))
                        offsets.append(offset)
                        consumer_next = offset + 1
                        progressed = True
                if consumer_next - 1 - consumer.last_ack >= CONSUMER_ACK_EVERY or (
                        not progressed and consumer_next - 1 > consumer.last_ack):
                    consumer.ack(consumer_next - 1)
                    consumer.last_ack = consumer_next - 1
                if progressed:
                    last_record_or_ack = time.monotonic()
                elif (producer.acked > consumer_next and
                      time.monotonic() - last_record_or_ack > 1.0):
                    # A SUB written into a connection that was dying is lost; say it again
                    # (subscribing again is always safe: at worst records come twice).
                    consumer.subscribe()
                    resubscribes += 1
                    consumer.last_ack = -1
                    last_record_or_ack = time.monotonic()
                if producer.acked > last_acked:
                    last_acked, last_ack_progress = producer.acked, time.monotonic()
                elif producer.unacked and time.monotonic() - last_ack_progress > 1.0:
                    producer.resend_unacked()  # an ACK or NACK may have died with a journal
                    last_ack_progress = time.monotonic()
                if progressed:
                    last_progress = time.monotonic()
                if os.environ.get("ZD_TEST_TRACE") and time.monotonic() - last_trace > 1:
                    last_trace = time.monotonic()
                    print(f"acked {producer.acked} unacked {len(producer.unacked)} next "
                          f"{producer.next_seq} nacks {producer.nacks} delivered "
                          f"{len(delivered)} consumer_next {consumer_next} restarts {restarts}",
                          file=sys.stderr)
                elif time.monotonic() - last_progress > STALL_TIMEOUT_S:
                    raise TestFailure(
                        f"no progress for {STALL_TIMEOUT_S} s: acked {producer.acked}, "
                        f"delivered {len(set(delivered))} distinct of {messages}, "
                        f"restarts {restarts}")
            check(journal.stop() == 0, "zd-journal did not exit 0 on SIGTERM")
        finally:
            journal.kill()
            producer.close()
            consumer.close()

    sent = set(range(1, messages + 1))
    acked = set(range(1, producer.acked + 1))
    seen = set(delivered)
    lost = sorted(acked - seen)
    unexpected = sorted(seen - sent)
    duplicates = len(delivered) - len(seen)
    first_deliveries = []
    already = set()
    for seq in delivered:
        if seq not in already:
            already.add(seq)
            first_deliveries.append(seq)
    print(f"messages {messages}, restarts {restarts}, acked {len(acked)}, delivered "
          f"{len(delivered)} ({len(seen)} distinct), lost {len(lost)}, duplicated "
          f"{duplicates}, unexpected {len(unexpected)}, re-subscriptions {resubscribes}")
    check(restarts == kills, f"only {restarts} of {kills} kills happened")
    check(not lost, f"{len(lost)} acknowledged messages lost, first {lost[:10]}")
    check(not unexpected, f"{len(unexpected)} unexpected deliveries, first {unexpected[:10]}")
    check(first_deliveries == sorted(first_deliveries), "first deliveries out of order")
    check(sorted(set(offsets)) == list(range(messages)), "offsets are not dense 0..N-1")
    # Each SUB after the first (one per restart, plus any said again because the first died
    # with a connection) repeats at most the window plus the acknowledgements the journal had
    # not stored yet (it writes them at most every 100 ms): twice the window is ample here.
    check(duplicates <= resubscribes * 2 * CONSUMER_WINDOW,
          f"{duplicates} duplicates, more than {resubscribes} re-subscriptions x 2 x window "
          f"{CONSUMER_WINDOW}")


def _poll(a, b, timeout_ms):
    poller = zmq.Poller()
    poller.register(a, zmq.POLLIN)
    poller.register(b, zmq.POLLIN)
    return poller.poll(timeout_ms)


if __name__ == "__main__":
    zdinterop.TEST_DEADLINE_S = 240
    sys.exit(run(test))

"""A consumer's stored position moves only with its own ACKs, and only over what it was sent
(issue 11):

    producer --> zd-journal(DIR) --> consumer "c"   (acknowledges everything)
                                 --> peeker   "c"   (SUB c earliest: a look, no ACK)

- an ACK beyond the records delivered to the name is answered ERR 400 and changes nothing
  (it used to be capped silently at what was sent);
- SUB on a name the journal already stores does not move the stored position: a peek with
  "SUB c earliest" leaves it where the consumer's ACKs put it, also across a restart (it
  used to rewind it at once); an ACK from the new position moves it, as documented;
- an ACK of a record delivered before a new SUB rewound the same connection is accepted.
"""

import sys
import tempfile

from journaltest import Consumer, Journal, Producer, check, recv_multipart, run


def expect_error(consumer, code, what):
    frames = recv_multipart(consumer.socket, 5000, what)
    check(len(frames) == 1 and frames[0].startswith(b"ERR %s " % code),
          f"{what}: expected ERR {code.decode()}, got {frames[:2]!r}")
    return frames[0]


def stored(journal, name):
    for consumer in journal.stats()["consumers"]:
        if consumer["name"] == name:
            return consumer["acked_next"]
    return None


def receive_offsets(consumer, count):
    return [consumer.receive(what=f"record {i + 1} of {count}")[0] for i in range(count)]


def ack_beyond_delivered(context, journal):
    producer = Producer(context, journal.address("frontend"), "p-ack")
    for i in range(10):
        producer.publish(b"a%d" % i)
    producer.wait_acked(10)
    consumer = Consumer(context, journal.address("backend"), "ack-beyond", "earliest", 5)
    check(receive_offsets(consumer, 5) == [0, 1, 2, 3, 4], "the first window")
    consumer.ack(7)  # 5..7 were never sent
    text = expect_error(consumer, b"400", "the answer to ACK 7 after records 0..4")
    check(b"7" in text, f"the ERR does not name the offset: {text!r}")
    check(stored(journal, "ack-beyond") == 0, "an ACK beyond the delivered moved the position")

    consumer.ack(4)  # within what was sent: accepted, the window opens
    check(receive_offsets(consumer, 5) == [5, 6, 7, 8, 9], "the second window")
    journal.wait_stats(lambda s: stored(journal, "ack-beyond") == 5, "ACK 4 to be applied")

    # A new SUB on the same connection rewinds delivery to 6; 9 was delivered before it, so
    # ACK 9 is not beyond what this name was sent.
    consumer.subscribe(6, 5)
    check(receive_offsets(consumer, 4) == [6, 7, 8, 9], "after SUB 6")
    consumer.ack(9)
    consumer.socket.send(b"PING")
    reply = recv_multipart(consumer.socket, 5000, "PONG after ACK 9")
    check(reply == [b"PONG"], f"ACK 9 after a rewinding SUB answered {reply!r}")
    journal.wait_stats(lambda s: stored(journal, "ack-beyond") == 10, "ACK 9 to be applied")
    consumer.ack(10)
    expect_error(consumer, b"400", "the answer to ACK 10, never sent")
    consumer.close()
    producer.close()


def peek_keeps_position(context, journal_path, directory):
    with Journal(journal_path, directory) as journal:
        ports = journal.ports()
        producer = Producer(context, journal.address("frontend"), "p-peek")
        for i in range(10):
            producer.publish(b"m%d" % i)
        producer.wait_acked(10)
        consumer = Consumer(context, journal.address("backend"), "c", "earliest")
        check(receive_offsets(consumer, 10) == list(range(10)), "the consumer's records")
        consumer.ack(9)
        journal.wait_stats(lambda s: stored(journal, "c") == 10, "the consumer's ACK")
        consumer.close()

        peeker = Consumer(context, journal.address("backend"), "c", "earliest")
        check(receive_offsets(peeker, 3) == [0, 1, 2], "the peek")
        check(stored(journal, "c") == 10, "SUB c earliest moved the stored position")
        check(journal.stop() == 0, "zd-journal did not exit 0 on SIGTERM")
        peeker.close()

    with Journal(journal_path, directory, ports=ports) as journal:
        check(stored(journal, "c") == 10, "after a restart the peek had rewound the position")
        producer.publish(b"m10")
        producer.wait_acked(11)
        consumer = Consumer(context, journal.address("backend"), "c")  # stored
        offset, _, frames = consumer.receive(what="the first record after the peek")
        check((offset, frames) == (10, [b"m10"]), f"resumed at {offset} {frames!r}, not 10")

        # An ACK from a new position is the consumer's word: it moves the position, back too.
        peeker = Consumer(context, journal.address("backend"), "c", "earliest")
        check(receive_offsets(peeker, 3) == [0, 1, 2], "the second peek")
        peeker.ack(2)
        journal.wait_stats(lambda s: stored(journal, "c") == 3, "the peeker's ACK 2")

        # A name the journal does not know starts where its first SUB says.
        newcomer = Consumer(context, journal.address("backend"), "new", "latest")
        newcomer.socket.send(b"PING")
        check(recv_multipart(newcomer.socket, 5000, "PONG") == [b"PONG"], "PING after SUB")
        check(stored(journal, "new") == 11, "a new name is not stored at its SUB position")
        check(journal.stop() == 0, "zd-journal did not exit 0 on SIGTERM")
        for socket in (producer, consumer, peeker, newcomer):
            socket.close()


def test(context, journal_path):
    with tempfile.TemporaryDirectory() as directory, Journal(journal_path, directory) as journal:
        ack_beyond_delivered(context, journal)
        check(journal.stop() == 0, "zd-journal did not exit 0 on SIGTERM")
    with tempfile.TemporaryDirectory() as directory:
        peek_keeps_position(context, journal_path, directory)


if __name__ == "__main__":
    sys.exit(run(test))

"""Bad input never crashes zd-journal or loses data.

Every malformed shape on every socket (unknown commands, missing frames, bad numbers, names
too long, a PUB without a message, ACK before SUB, raw bytes) is answered ERR 400 or dropped
and counted, and the journal keeps serving: a good producer and consumer afterwards see
everything in order.
"""

import sys
import tempfile

import zmq

from journaltest import Consumer, Journal, Producer, check, new_socket, run

PRODUCER_BAD = [
    [b"PUB"], [b"PUB p"], [b"PUB p 1"], [b"PUB p 1 1"], [b"PUB p 0 1", b"x"],
    [b"PUB p -1 1", b"x"], [b"PUB p 2 3", b"x"], [b"PUB " + b"p" * 256 + b" 1 1", b"x"],
    [b"PUB p 18446744073709551616 1", b"x"], [b"PUB p  1 1", b"x"], [b"PUB p 1 1 ", b"x"],
    [b"PUB p\x01 1 1", b"x"], [b"PUB p 1 1 1", b"x"], [b"HELLO"], [b"\xff" * 40],
    [b"PING extra"], [b"PING", b"extra"], [b"P" * 600],
]
CONSUMER_BAD = [
    [b"SUB"], [b"SUB  c"], [b"SUB " + b"c" * 256], [b"SUB c nowhere"], [b"SUB c earliest 0"],
    [b"SUB c earliest 65537"], [b"SUB c earliest 5 extra"], [b"SUB c", b"extra"], [b"ACK"],
    [b"ACK x"], [b"ACK 5"], [b"REC 1"], [b"\x00"],
]


def expect_error(socket, message):
    socket.send_multipart(message)
    check(socket.poll(5000), f"no answer to {message!r}")
    reply = socket.recv_multipart()
    check(len(reply) == 1 and reply[0].startswith(b"ERR 400 "), f"{message!r} answered {reply!r}")


def test(context, journal_path):
    with tempfile.TemporaryDirectory() as directory, Journal(journal_path, directory) as journal:
        bad_producer = new_socket(context, zmq.DEALER, journal.address("frontend"))
        for message in PRODUCER_BAD:
            expect_error(bad_producer, message)
        bad_consumer = new_socket(context, zmq.DEALER, journal.address("backend"))
        for message in CONSUMER_BAD:
            expect_error(bad_consumer, message)
        # Not ZeroMQ at all: raw bytes on the frontend's tcp port.
        import socket as plain
        host, port = journal.address("frontend")[len("tcp://"):].rsplit(":", 1)
        with plain.create_connection((host, int(port)), timeout=5) as raw:
            raw.sendall(b"\xff\x00\x00\x00\x00\x00\x00\x00\x01\x7fGET / HTTP/1.0\r\n\r\n" * 50)

        producer = Producer(context, journal.address("frontend"), "good")
        for i in range(100):
            producer.publish(b"g%d" % i)
        producer.wait_acked(100)
        consumer = Consumer(context, journal.address("backend"), "c", "earliest")
        for i in range(100):
            offset, _, frames = consumer.receive()
            check((offset, frames) == (i, [b"g%d" % i]), f"record {i}: {offset} {frames!r}")
        stats = journal.stats()
        check(stats["counters"]["malformed"] >= len(PRODUCER_BAD) + len(CONSUMER_BAD) - 1,
              f"malformed counted {stats['counters']['malformed']}")
        check(stats["counters"]["published"] == 100, f"published {stats['counters']}")
        check(journal.stop() == 0, "zd-journal did not exit 0 on SIGTERM")
        for s in (bad_producer, bad_consumer, producer, consumer):
            s.close()


if __name__ == "__main__":
    sys.exit(run(test))

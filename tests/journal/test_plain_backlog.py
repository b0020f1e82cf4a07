"""A plain PUSH backend keeps its undelivered backlog across restarts (issue 12):

    producer --> zd-journal(DIR) --push--> (nobody yet)        SIGTERM / kill -9, restart
                                 --push--> PULL (connects after the restart): the backlog

The journal keeps a durable position of what it handed to the PUSH socket (in DIR/consumers,
under a reserved name) and resumes after it. It used to start every run at the end of the
log, abandoning whatever had not been handed over though every record was on disk.

- absent consumer, SIGTERM: everything published comes after the restart;
- absent consumer, kill -9: the same (nothing was handed over, nothing is skipped);
- a consumer that stopped reading (PUSH blocked at its high-water mark), SIGTERM: the next
  consumer gets exactly the records from the stored position on, none of those handed to
  the old one's queue again (at-most-once past the socket).
"""

import signal
import sys
import tempfile

import zmq

from journaltest import Journal, Producer, check, new_socket, recv_multipart, run

ARGS = ("--backend-type", "push")


def publish(context, journal, count, tag, padding=b""):
    producer = Producer(context, journal.address("frontend"), tag)
    for i in range(count):
        producer.publish(b"%s-%d" % (tag.encode(), i), *([padding] if padding else []))
    producer.wait_acked(count)
    producer.close()


def plain(journal):
    return journal.stats().get("plain_backend", {"next": 0})


def receive(pull, count, what):
    return [recv_multipart(pull, 5000, f"{what}: message {i} of {count}")[0] for i in range(count)]


def absent_consumer(context, journal_path, how):
    with tempfile.TemporaryDirectory() as directory:
        with Journal(journal_path, directory, *ARGS) as journal:
            publish(context, journal, 300, "p")
            check(plain(journal)["next"] == 0, f"records handed to nobody: {plain(journal)}")
            if how == "kill":
                journal.process.send_signal(signal.SIGKILL)
                check(journal.wait(10) is not None, "zd-journal survived SIGKILL")
            else:
                check(journal.stop() == 0, "zd-journal did not exit 0 on SIGTERM")
        with Journal(journal_path, directory, *ARGS) as journal:
            pull = new_socket(context, zmq.PULL, journal.address("backend"))
            got = receive(pull, 300, f"the backlog after {how}")
            check(got == [b"p-%d" % i for i in range(300)], f"after {how}: {got[:3]!r}...")
            publish(context, journal, 1, "after")
            check(receive(pull, 1, "a record after the backlog") == [b"after-0"], "the new one")
            check(journal.stop() == 0, "zd-journal did not exit 0 on SIGTERM")
            pull.close()


def stalled_consumer(context, journal_path):
    with tempfile.TemporaryDirectory() as directory:
        with Journal(journal_path, directory, *ARGS, "--hwm", "100") as journal:
            stalled = new_socket(context, zmq.PULL, journal.address("backend"), rcvhwm=100)
            # 8 KiB per record, so the kernel's socket buffers cannot take all of them.
            publish(context, journal, 2000, "q", b"x" * 8192)
            first = receive(stalled, 1, "the first record")  # then it stops reading
            # The PUSH socket blocks at the high-water marks; wait until it has stopped.
            handed = journal.wait_stats(lambda s: s["next"] > 1, "a handover",
                                        section="plain_backend")["next"]
            while True:  # until it has not moved for 300 ms
                stalled.poll(300)  # nothing is read: the queues only fill up meanwhile
                again = plain(journal)["next"]
                if again == handed:
                    break
                handed = again
            check(first == [b"q-0"] and 1 < handed < 2000, f"handed {handed} of 2000")
            stalled.close()
            check(journal.stop() == 0, "zd-journal did not exit 0 on SIGTERM")
        with Journal(journal_path, directory, *ARGS) as journal:
            # What the journal handed over between the last look and the stop (libzmq's I/O
            # thread may still move records into the closing connection's buffers, and on a
            # busy machine "not moved for 300 ms" is no proof it will not) is past the
            # stored position too: the resumed position is never before what was seen handed.
            resumed = plain(journal)["next"]
            check(handed <= resumed < 2000, f"resumed at {plain(journal)}, handed {handed}")
            pull = new_socket(context, zmq.PULL, journal.address("backend"))
            got = receive(pull, 2000 - resumed, "the undelivered backlog")
            check(got == [b"q-%d" % i for i in range(resumed, 2000)],
                  f"the backlog from {resumed}: {got[:2]!r}...")
            check(not pull.poll(300), "records handed to the stalled consumer came again")
            check(journal.stop() == 0, "zd-journal did not exit 0 on SIGTERM")
            pull.close()


def test(context, journal_path):
    absent_consumer(context, journal_path, "term")
    absent_consumer(context, journal_path, "kill")
    stalled_consumer(context, journal_path)


if __name__ == "__main__":
    sys.exit(run(test))

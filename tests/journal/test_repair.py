"""--repair keeps every sound record in service (issue 12):

    producer --> zd-journal(DIR) ... stop; 4 bytes of record 500 damaged on disk
    zd-journal(DIR)            -> refuses: exit 1, names the file, the byte and --repair
    zd-journal(DIR) --repair   -> record 500 quarantined, reported (count + offset);
                                  0..499 and 501..999 served at their offsets;
                                  the next record gets 1000, never an offset handed out before
    zd-journal-tool verify DIR -> ok

It used to quarantine the damaged segment whole: 4 bad bytes put every later record out of
service, and their offsets were handed out again to new records.
"""

import glob
import os
import struct
import subprocess
import sys
import tempfile

from journaltest import Consumer, Journal, Producer, check, read, run

COUNT = 1000
DAMAGED = 500


def record_start(path, index):
    """The byte position of the index-th record of a segment (header: body length at 8)."""
    with open(path, "rb") as segment:
        data = segment.read()
    at = 0
    for _ in range(index):
        (body,) = struct.unpack_from("<I", data, at + 8)
        at += 40 + body
    return at


def test(context, journal_path, tool_path):
    with tempfile.TemporaryDirectory() as directory:
        with Journal(journal_path, directory) as journal:
            producer = Producer(context, journal.address("frontend"), "p")
            for i in range(COUNT):
                producer.publish(b"record-%d" % i, b"x" * (i % 50))
            producer.wait_acked(COUNT)
            producer.close()
            check(journal.stop() == 0, "zd-journal did not exit 0 on SIGTERM")

        (segment,) = glob.glob(os.path.join(directory, "*.seg"))
        at = record_start(segment, DAMAGED)
        with open(segment, "r+b") as file:
            file.seek(at + 44)  # inside the record's body
            original = file.read(4)
            file.seek(at + 44)
            file.write(bytes(b ^ 0xA5 for b in original))

        done = subprocess.run([journal_path, "--dir", directory, "-f", "@tcp://127.0.0.1:*",
                               "-b", "@tcp://127.0.0.1:*"], stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=10)
        text = done.stderr.decode(errors="replace")
        check(done.returncode == 1, f"a damaged journal started: exit {done.returncode}")
        for part in (os.path.basename(segment), f"byte {at}", "--repair"):
            check(part in text, f"the refusal does not name {part!r}: {text}")

        with Journal(journal_path, directory, "--repair") as journal:
            summary = journal.stats()["log"]["recovery"]
            check(f"QUARANTINED 1 damaged record(s) at offset(s) {DAMAGED}," in summary,
                  f"the damaged record is not reported: {summary}")
            check(f"kept {COUNT - DAMAGED - 1} sound record(s) after the damage" in summary,
                  f"the records after the damage: {summary}")
            records, next_offset = read(context, journal.address("replay"), "earliest", 2000)
            expected = [i for i in range(COUNT) if i != DAMAGED]
            check([r[0] for r in records] == expected and next_offset == COUNT,
                  f"offsets served after repair: {len(records)} records, next {next_offset}")
            check(all(r[2] == [b"record-%d" % r[0], b"x" * (r[0] % 50)] for r in records),
                  "a record's content changed")
            # A consumer reads over the quarantined offset without a hole in its ACKs.
            consumer = Consumer(context, journal.address("backend"), "c", "earliest")
            got = [consumer.receive(what=f"record {i}")[0] for i in range(len(expected))]
            check(got == expected, "the consumer's offsets")
            consumer.close()
            producer = Producer(context, journal.address("frontend"), "q")
            producer.publish(b"new")
            producer.wait_acked(1)
            records, _ = read(context, journal.address("replay"), COUNT, 10)
            check([(r[0], r[2]) for r in records] == [(COUNT, [b"new"])],
                  f"the new record's offset: {records!r}")
            producer.close()
            check(journal.stop() == 0, "zd-journal did not exit 0 on SIGTERM")

        quarantine = glob.glob(os.path.join(directory, "quarantine", "*", "*"))
        check(any(".damaged-bytes-" in name for name in quarantine), f"{quarantine}")
        done = subprocess.run([tool_path, "verify", directory], capture_output=True, timeout=30)
        check(done.returncode == 0 and b"verify: ok" in done.stdout,
              f"verify after repair: {done.returncode} {done.stdout!r}")


if __name__ == "__main__":
    sys.exit(run(test))

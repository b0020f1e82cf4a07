"""zd-journal-tool consume and read: draining and replaying a running journal from the shell
(issue 12):

    producer --> zd-journal --backend--> zd-journal-tool consume --name ops  (prints, ACKs)
                            --replay --> zd-journal-tool read --from N --count M

- consume --count 4 prints records 0..3 and the name's stored position becomes 4;
- consume --idle drains the rest and exits; the next one resumes after the last ACK;
- SIGTERM stops consume cleanly (exit 0) with everything printed acknowledged;
- read prints a range (or to the end) in text or JSON and moves no consumer;
- usage errors exit 2, a refused position exits 1.
"""

import json
import select
import signal
import subprocess
import sys
import tempfile
import time

from journaltest import Journal, Producer, check, run


def publish(context, journal, first, count):
    producer = Producer(context, journal.address("frontend"), "p%d" % first)
    for i in range(first, first + count):
        producer.publish(b"m%d" % i)
    producer.wait_acked(count)
    producer.close()


def stored(journal, name):
    for consumer in journal.stats()["consumers"]:
        if consumer["name"] == name:
            return consumer["acked_next"]
    return None


def tool(tool_path, *args):
    done = subprocess.run([tool_path, *args], stdin=subprocess.DEVNULL, capture_output=True,
                          timeout=30)
    return done.returncode, done.stdout.decode(), done.stderr.decode()


def offsets_of(json_lines):
    records = [json.loads(line) for line in json_lines.splitlines()]
    for record in records:
        check(record["frames"] == ["m%d" % record["offset"]], f"content of {record}")
    return [record["offset"] for record in records]


def read_lines(process, count, timeout_s=10):
    lines = []
    deadline = time.monotonic() + timeout_s
    while len(lines) < count:
        left = deadline - time.monotonic()
        check(left > 0, f"consume printed {lines} within {timeout_s} s, expected {count} lines")
        ready, _, _ = select.select([process.stdout], [], [], left)
        if ready:
            line = process.stdout.readline()
            check(line, f"consume exited early after {lines}")
            lines.append(line.decode())
    return lines


def test(context, journal_path, tool_path):
    with tempfile.TemporaryDirectory() as directory, Journal(journal_path, directory) as journal:
        backend, replay = journal.address("backend"), journal.address("replay")
        publish(context, journal, 0, 10)

        code, out, err = tool(tool_path, "consume", backend, "--name", "ops", "--count", "4",
                              "--format", "json")
        check(code == 0, f"consume --count 4: exit {code}: {err}")
        check(offsets_of(out) == [0, 1, 2, 3], f"consume --count 4 printed {out!r}")
        journal.wait_stats(lambda s: stored(journal, "ops") == 4, "ops acknowledged 0..3")

        code, out, err = tool(tool_path, "consume", backend, "--name", "ops", "--idle", "500",
                              "--format", "json")
        check(code == 0 and offsets_of(out) == list(range(4, 10)),
              f"the drain resumed wrongly: exit {code} {out!r} {err}")
        check(stored(journal, "ops") == 10, "the drain's ACKs were not applied at exit")

        # A consume that runs until SIGTERM.
        # Unbuffered (bufsize=0), so select() sees every line as it is printed.
        process = subprocess.Popen([tool_path, "consume", backend, "--name", "ops", "--format",
                                    "json"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, bufsize=0)
        try:
            publish(context, journal, 10, 5)
            lines = read_lines(process, 5)
            check(offsets_of("".join(lines)) == list(range(10, 15)), f"live: {lines}")
            process.send_signal(signal.SIGTERM)
            code = process.wait(10)
            check(code == 0, f"consume on SIGTERM: exit {code}: {process.stderr.read()!r}")
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        check(stored(journal, "ops") == 15, f"after SIGTERM: stored {stored(journal, 'ops')}")
        publish(context, journal, 15, 3)
        code, out, err = tool(tool_path, "consume", backend, "--name", "ops", "--idle", "500",
                              "--format", "json")
        check(code == 0 and offsets_of(out) == [15, 16, 17], f"after SIGTERM resumed: {out!r}")

        # read: a range, to the end, text format; no consumer moves.
        code, out, err = tool(tool_path, "read", replay, "--from", "3", "--count", "4",
                              "--format", "json")
        check(code == 0 and offsets_of(out) == [3, 4, 5, 6], f"read 3+4: {code} {out!r} {err}")
        code, out, err = tool(tool_path, "read", replay, "--from", "16", "--format", "json")
        check(code == 0 and offsets_of(out) == [16, 17], f"read to the end: {out!r}")
        code, out, err = tool(tool_path, "read", replay, "--from", "earliest", "--count", "1")
        check(code == 0 and out.startswith("0 ") and '[0] 2 B "m0"' in out, f"text: {out!r}")
        check(stored(journal, "ops") == 18, "read moved a consumer")
        code, out, err = tool(tool_path, "read", replay, "--from", "999")
        check(code == 1 and "400" in err, f"read past the end: {code} {err!r}")

        code, out, err = tool(tool_path, "consume", backend)
        check(code == 2 and "--name" in err, f"consume without --name: {code} {err!r}")
        check(journal.stop() == 0, "zd-journal did not exit 0 on SIGTERM")


if __name__ == "__main__":
    sys.exit(run(test))

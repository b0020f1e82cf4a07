"""zd-journal's command line and start-up contract:

- --help and --version exit 0; usage errors (missing --dir, a bad --fsync, a bad endpoint)
  exit 2 with a message naming the bad value;
- a second journal on the same directory is refused (exit 1) while the first runs;
- damage in the middle of a journal (not a torn tail) makes it refuse to start (exit 1,
  naming the file and the option --repair) without touching anything; --repair quarantines
  the damaged record and starts with every sound record (tests/journal/test_repair.py has
  the details).
"""

import glob
import os
import subprocess
import sys
import tempfile

from journaltest import Journal, Producer, check, read, run


def run_cli(path, *args):
    done = subprocess.run([path, *args], stdin=subprocess.DEVNULL, capture_output=True,
                          timeout=10)
    return done.returncode, done.stdout.decode(errors="replace") + done.stderr.decode(
        errors="replace")


def test(context, journal_path):
    code, text = run_cli(journal_path, "--help")
    check(code == 0 and "--fsync" in text and "--replay" in text, f"--help: {code} {text}")
    code, text = run_cli(journal_path, "--version")
    check(code == 0 and text.strip(), f"--version: {code} {text!r}")
    code, text = run_cli(journal_path, "-f", "@tcp://127.0.0.1:*", "-b", "@tcp://127.0.0.1:*")
    check(code == 2 and "--dir" in text, f"missing --dir: {code} {text}")

    with tempfile.TemporaryDirectory() as directory:
        base = ["--dir", directory, "-f", "@tcp://127.0.0.1:*", "-b", "@tcp://127.0.0.1:*"]
        code, text = run_cli(journal_path, *base, "--fsync", "sometimes")
        check(code == 2 and "sometimes" in text, f"bad --fsync: {code} {text}")
        code, text = run_cli(journal_path, *base, "--fsync", "interval=0")
        check(code == 2 and "interval=0" in text, f"bad interval: {code} {text}")
        code, text = run_cli(journal_path, "--dir", directory, "-f", "tcp://nohost", "-b",
                             "@tcp://127.0.0.1:*")
        check(code == 2 and "tcp://nohost" in text, f"bad endpoint: {code} {text}")

        with Journal(journal_path, directory, "--segment-bytes", "4096") as journal:
            code, text = run_cli(journal_path, *base)
            check(code == 1 and "lock" in text.lower(), f"second journal on DIR: {code} {text}")
            producer = Producer(context, journal.address("frontend"), "p")
            for i in range(200):
                producer.publish(b"record-%d-" % i + b"x" * 100)
            producer.wait_acked(200)
            producer.close()
            check(journal.stop() == 0, "zd-journal did not exit 0 on SIGTERM")

        segments = sorted(glob.glob(os.path.join(directory, "*.seg")))
        check(len(segments) >= 3, f"expected several 4 KiB segments, got {segments}")
        damaged = segments[1]  # a middle segment: its damage cannot be a torn tail
        with open(damaged, "r+b") as segment:
            segment.seek(os.path.getsize(damaged) // 2)
            byte = segment.read(1)
            segment.seek(-1, os.SEEK_CUR)
            segment.write(bytes([byte[0] ^ 0x40]))
        before = {name: os.path.getsize(name) for name in segments}

        code, text = run_cli(journal_path, *base)
        check(code == 1 and os.path.basename(damaged) in text and "--repair" in text,
              f"damaged journal: exit {code}, message must name {damaged} and --repair: {text}")
        after = {name: os.path.getsize(name) for name in sorted(glob.glob(
            os.path.join(directory, "*.seg")))}
        check(before == after, f"refusing to start must not change anything: {before} {after}")

        with Journal(journal_path, directory, "--repair") as journal:
            stats = journal.stats()
            check(stats["log"]["next_offset"] == 200, f"after repair: {stats['log']}")
            records, next_offset = read(context, journal.address("replay"), "earliest", 1000)
            check(len(records) == 199 and next_offset == 200, f"{len(records)} records kept")
            check(all(r[2][0].startswith(b"record-%d-" % r[0]) for r in records), "contents")
            check(os.path.isdir(os.path.join(directory, "quarantine")), "no quarantine dir")


if __name__ == "__main__":
    sys.exit(run(test))

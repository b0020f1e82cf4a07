"""zd-journal under disk faults: nothing is acknowledged that is not stored, nothing stored
is lost, and a full disk is waited out.

    producer --PUB--> zd-journal(DIR on a faulty disk) --> replay after the fault

Modes (one CTest test each):
  fsync-eio  fdatasync fails with EIO once (strace -e inject=...): the journal stops
             acknowledging and exits 1 at once; restarted, it holds every message it
             acknowledged, in order, each once.
  disk-full  DIR is on a small tmpfs that fills up: the journal reports disk_full, stops
             acknowledging and reading, and when space is freed it resumes by itself; every
             message ends up stored exactly once, in order.
Exit 77 (skipped) when the fault cannot be made here: no strace, or no permission to mount.

Usage: test_faults.py ZD_JOURNAL MODE
"""

import os
import shutil
import subprocess
import sys
import tempfile

import journaltest  # noqa: F401  (puts tests/support on the path)
from journaltest import Journal, Producer, check, read, run

SKIP = 77


class Skip(BaseException):
    """Not an Exception, so run() lets it through to main(), which exits 77."""


def replayed_seqs(context, journal):
    """Every record's producer seq (from its first frame b"m<seq>"), in journal order."""
    seqs, position = [], "earliest"
    while True:
        records, next_offset = read(context, journal.address("replay"), position, 10000)
        check(next_offset is not None, f"READ failed: {records!r}")
        if not records:
            return seqs
        seqs += [int(frames[0][1:]) for _, _, frames in records]
        position = next_offset


def fsync_eio(context, journal_path):
    strace = shutil.which("strace")
    if not strace:
        raise Skip("strace is not installed")
    with tempfile.TemporaryDirectory() as directory:
        # The 20th fdatasync fails: after some commits have been acknowledged.
        faulty = Journal(journal_path, directory, "--batch-max", "50",
                         wrapper=(strace, "-E", "ASAN_OPTIONS=detect_leaks=0", "-f", "-o", "/dev/null", "-e", "trace=fdatasync",
                                  "-e", "inject=fdatasync:error=EIO:when=20"))
        with faulty:
            producer = Producer(context, faulty.address("frontend"), "p")
            for i in range(1, 5001):
                producer.publish(b"m%d" % i)
            # ACKs until the journal dies; then nothing more may come.
            while faulty.process.poll() is None or producer.socket.poll(0):
                if producer.socket.poll(100):
                    producer.handle(producer.socket.recv_multipart())
            code = faulty.process.wait()
            check(code == 1, f"zd-journal exited {code} after fdatasync failed, expected 1")
            check(0 < producer.acked < 5000, f"acked {producer.acked}: the fault came too "
                  "early or too late to tell anything")
            acked = producer.acked
        with Journal(journal_path, directory) as journal:
            seqs = replayed_seqs(context, journal)
        check(seqs == list(range(1, len(seqs) + 1)), "records out of order or repeated")
        check(len(seqs) >= acked, f"{acked} acknowledged but only {len(seqs)} stored")
        print(f"acknowledged {acked}, stored {len(seqs)} (the rest was never acknowledged)")
        producer.close()


def disk_full(context, journal_path):
    with tempfile.TemporaryDirectory() as mount_point:
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs",
                                  mount_point], capture_output=True)
        if mounted.returncode != 0:
            raise Skip(f"cannot mount a tmpfs: {mounted.stderr.decode().strip()}")
        try:
            directory = os.path.join(mount_point, "journal")
            ballast = os.path.join(mount_point, "ballast")
            with Journal(journal_path, directory, "--batch-max", "100") as journal:
                # Leave about 200 KiB; 3000 messages of ~300 B on disk need about 900 KiB.
                free = os.statvfs(mount_point)
                with open(ballast, "wb") as file:
                    file.write(b"b" * (free.f_bavail * free.f_frsize - 200 * 1024))
                producer = Producer(context, journal.address("frontend"), "p")
                payload = b"x" * 256
                for i in range(1, 3001):
                    producer.publish(b"m%d" % i, payload)
                stats = journal.wait_stats(lambda s: s["state"] == "disk_full",
                                           "the journal to notice the full disk", 10)
                while producer.socket.poll(200):
                    producer.handle(producer.socket.recv_multipart())
                check(0 < producer.acked < 3000, f"acked {producer.acked} with a full disk")
                held = producer.acked
                # Nothing more is acknowledged while the disk stays full.
                check(not producer.socket.poll(500), "an ACK came while the disk was full")
                os.unlink(ballast)
                producer.wait_acked(3000, timeout_ms=15000)
                stats = journal.wait_stats(lambda s: s["state"] == "running",
                                           "the journal to resume")
                check(stats["counters"]["disk_full_events"] >= 1, f"{stats['counters']}")
                seqs = replayed_seqs(context, journal)
                check(seqs == list(range(1, 3001)), f"stored {len(seqs)} records, not 1..3000 "
                      "in order")
                print(f"held at {held} acknowledged while full; all 3000 stored once space "
                      "returned")
                producer.close()
        finally:
            subprocess.run(["umount", "-l", mount_point], capture_output=True)


def main():
    mode = sys.argv.pop(2) if len(sys.argv) > 2 else ""
    tests = {"fsync-eio": fsync_eio, "disk-full": disk_full}
    if mode not in tests:
        print(f"usage: {sys.argv[0]} ZD_JOURNAL {'|'.join(tests)}", file=sys.stderr)
        return 2
    try:
        return run(tests[mode])
    except Skip as why:  # raised before run() catches anything: see below
        print(f"SKIP: {why}")
        return SKIP


if __name__ == "__main__":
    sys.exit(main())

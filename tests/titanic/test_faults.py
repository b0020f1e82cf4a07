"""A failed fdatasync is never retried blindly: zd-titanic stops answering, exits 1, and a
restart on the same directory finds every request it had answered 200.

    TitanicClient --> zd-broker <-- strace -e inject=fdatasync:error=EIO:when=3 zd-titanic
                          ^-- (after the restart) zd-worker --echo "echo"

The first two commits succeed (two requests answered 200); the third fdatasync fails: that
request gets no answer, the process exits 1. Restarted without strace, Titanic dispatches
both answered requests and serves their replies. Skips (exit 0 with a note) without strace.

Usage: test_faults.py ZD_BROKER ZD_TITANIC ZD_WORKER
"""

import os
import shutil
import tempfile

from titanictest import EchoWorker, Titanic, TitanicClient, check, run, start_broker


def test(context, broker_path, titanic_path, worker_path):
    strace = shutil.which("strace")
    if strace is None:
        print("SKIP test_faults.py: no strace")
        return
    with tempfile.TemporaryDirectory(prefix="zd-titanic-") as directory, \
            start_broker(broker_path) as broker:
        journal = os.path.join(directory, "journal")
        client = TitanicClient(context, broker.endpoint, timeout_ms=1500, retries=0)
        failing = Titanic(titanic_path, journal, broker.endpoint)
        failing.command = [strace, "-E", "ASAN_OPTIONS=detect_leaks=0", "-f", "-qq", "-o", "/dev/null", "-e", "trace=fdatasync",
                           "-e", "inject=fdatasync:error=EIO:when=3"] + failing.command
        with failing:
            answered = [client.request("echo", f"before-{i}") for i in range(2)]
            reply = client.send("titanic.request", "echo", "the-failing-one")
            check(reply is None, f"a request whose fdatasync failed was answered: {reply!r}")
            code = failing.wait(5)
            check(code == 1, f"zd-titanic must exit 1 after a failed fdatasync, got {code}")
            failing.kill()
            check("fail" in failing.stderr_text, f"no error reported: {failing.stderr_text!r}")

        client = TitanicClient(context, broker.endpoint)
        with Titanic(titanic_path, journal, broker.endpoint), \
                EchoWorker(worker_path, context, broker):
            for i, uuid in enumerate(answered):
                check(client.wait_reply(uuid) == [f"before-{i}".encode()],
                      f"request {i}, answered 200 before the failure, has no right reply")
        client.close()


if __name__ == "__main__":
    raise SystemExit(run(test))

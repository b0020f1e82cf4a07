"""zd-titanic's command line: usage errors exit 2 naming the bad value, --help exits 0, a
second process on a directory in use exits 1, SIGINT stops it with exit 0.

Usage: test_cli.py ZD_BROKER ZD_TITANIC
"""

import signal
import subprocess
import tempfile

from titanictest import Titanic, check, run, start_broker


def run_titanic(path, *args):
    result = subprocess.run([path, *args], stdin=subprocess.DEVNULL, capture_output=True,
                            timeout=10)
    return result.returncode, (result.stdout + result.stderr).decode(errors="replace")


def test(context, broker_path, titanic_path):
    code, text = run_titanic(titanic_path, "--help")
    check(code == 0 and "titanic.request" in text, f"--help: exit {code}: {text!r}")
    with tempfile.TemporaryDirectory(prefix="zd-titanic-") as directory:
        cases = [
            ([], "--dir"),
            (["--dir", directory], "--broker"),
            (["--dir", directory, "--broker", "tcp://x"], "tcp://x"),
            (["--dir", directory, "--broker", "tcp://127.0.0.1:1", "--fsync", "sometimes"],
             "sometimes"),
            (["--dir", directory, "--broker", "tcp://127.0.0.1:1", "--request-workers", "0"],
             "--request-workers"),
        ]
        for args, named in cases:
            code, text = run_titanic(titanic_path, *args)
            check(code == 2 and named in text,
                  f"{args}: expected exit 2 naming {named!r}, got {code}: {text!r}")

        with start_broker(broker_path) as broker, \
                Titanic(titanic_path, directory, broker.endpoint) as titanic:
            code, text = run_titanic(titanic_path, "--dir", directory, "--broker",
                                     broker.endpoint)
            check(code == 1, f"a second zd-titanic on the same directory: exit {code}: {text!r}")
            titanic.process.send_signal(signal.SIGINT)
            check(titanic.wait(5) == 0, "SIGINT must stop zd-titanic with exit 0")


if __name__ == "__main__":
    raise SystemExit(run(test))

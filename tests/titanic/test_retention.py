"""Retention keeps exactly what Titanic still needs, across restarts.

With small segments, a stream of requests that are replied and closed makes segments of
garbage. An old reply that is never closed and an old request whose service never answers
pin the oldest segment; Titanic copies them forward so the garbage behind them can go. After
a restart on the same directory the unclosed reply is still served whole, the pending
request is dispatched once its service appears, and closed requests stay unknown.

    TitanicClient --> zd-broker <-- zd-titanic --segment-bytes 4096 (restarted)
                          ^-- zd-worker --echo "echo", later one for "later"

Usage: test_retention.py ZD_BROKER ZD_TITANIC ZD_WORKER
"""

import tempfile

from titanictest import EchoWorker, Titanic, TitanicClient, check, run, start_broker


def test(context, broker_path, titanic_path, worker_path):
    with tempfile.TemporaryDirectory(prefix="zd-titanic-") as directory, \
            start_broker(broker_path) as broker:
        args = ("--segment-bytes", "4096")
        client = TitanicClient(context, broker.endpoint)
        with Titanic(titanic_path, directory, broker.endpoint, *args) as titanic, \
                EchoWorker(worker_path, context, broker):
            keep = client.request("echo", "keep-me", b"\x00" * 300)
            check(client.wait_reply(keep) == [b"keep-me", b"\x00" * 300], "wrong reply")
            later = client.request("later", "for-later")
            closed = []
            for i in range(300):
                uuid = client.request("echo", f"gone-{i}", "x" * 300)
                check(client.wait_reply(uuid) == [f"gone-{i}".encode(), b"x" * 300],
                      f"wrong reply for gone-{i}")
                check(client.call("titanic.close", uuid) == [b"200"], "close must answer 200")
                closed.append(uuid)
            # Retention runs once a second: wait until it has copied the two pinning
            # records forward and deleted the segments behind them.
            stats = titanic.wait_stats(
                lambda s: s["titanic"]["segments_deleted"] >= 10 and
                s["log"]["size_bytes"] < 8 * 4096, "old segments deleted", timeout_s=8)
            check(stats["log"]["copied_forward"] >= 2, f"pinning records not copied: {stats}")
            check(stats["log"]["first_offset"] > 2, f"the oldest segment survived: {stats}")
            check(client.call("titanic.reply", keep) == [b"200", b"keep-me", b"\x00" * 300],
                  "the unclosed reply must survive retention")
            check(titanic.stop() == 0, "zd-titanic must exit 0 on SIGTERM")

        with Titanic(titanic_path, directory, broker.endpoint, *args) as titanic:
            check(client.call("titanic.reply", keep) == [b"200", b"keep-me", b"\x00" * 300],
                  "the unclosed reply must survive a restart")
            for uuid in (closed[0], closed[150], closed[-1]):
                check(client.call("titanic.reply", uuid) == [b"400"], "closed must stay unknown")
            check(client.call("titanic.reply", later) == [b"300"], "still pending")
            with EchoWorker(worker_path, context, broker, service="later"):
                check(client.wait_reply(later) == [b"for-later"],
                      "the pending request must be dispatched after the restart")
            stats = titanic.stats()
            check(stats["titanic"]["pending"] == 0 and stats["titanic"]["replied"] == 2,
                  f"expected two unclosed replies: {stats}")
        client.close()


if __name__ == "__main__":
    raise SystemExit(run(test, deadline_s=40))

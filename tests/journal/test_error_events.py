"""Errors become events (issue 12, "Events ... errors"): every line a device logs as an
error is also an "error" event on --events, rate-limited to 10 a second; the errors held back
are counted in the next event's "suppressed" (or in a last event at stop), so the events
account for every error.

    pyzmq PUSH --(100 oversized messages)--> zd-journal --frontend-type pull --max-record 64
                                                |--events--> pyzmq SUB "error"

A fire-and-forget frontend cannot tell the sender its message was refused: the log and the
events are all the operator has. Before: no error events at all.
"""

import json
import sys
import tempfile

import zmq

from journaltest import Journal, check, new_socket, recv_multipart, run
from zdevents import subscribe

MESSAGES = 100


def test(context, journal_path):
    with tempfile.TemporaryDirectory() as directory:
        journal = Journal(journal_path, directory, "--frontend-type", "pull", "--max-record",
                          "64", "--events", "@tcp://127.0.0.1:*")
        with journal:
            sub = subscribe(context, journal, b"error", b"stopping")
            producer = new_socket(context, zmq.PUSH, journal.address("frontend"))
            for i in range(MESSAGES):
                producer.send(b"%03d" % i + b"x" * 200)
            journal.wait_stats(lambda s: s["counters"]["refused"] == MESSAGES,
                               f"all {MESSAGES} refused", timeout_s=10)
            check(journal.stop() == 0, "zd-journal did not exit 0 on SIGTERM")
            # "stopping" is the publisher's last event, after the final error count.
            events = []
            while True:
                kind, body = recv_multipart(sub, 5000, "the events up to stopping")
                if kind == b"stopping":
                    break
                if kind != b"paused":  # the subscription's probe
                    events.append(json.loads(body))
            sub.close(linger=0)
            producer.close(linger=0)
        check(events, "no error event")
        check(all(e["event"] == "error" and e["device"] == "zd-journal" for e in events),
              f"not error events: {events[:3]}")
        check("refused a message" in events[0]["message"], f"first error: {events[0]}")
        accounted = sum(1 + e.get("suppressed", 0) for e in events)
        # The last event at stop carries only a count (its message is not an error logged).
        if "further errors not published" in events[-1]["message"]:
            accounted -= 1
        check(accounted == MESSAGES,
              f"{len(events)} events account for {accounted} errors, not {MESSAGES}")
        check(len(events) < MESSAGES, f"{len(events)} events for {MESSAGES} errors: no limit")


if __name__ == "__main__":
    sys.exit(run(test))

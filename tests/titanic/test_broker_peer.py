"""zd-titanic says whether its one peer, the broker, is there (issue 12, "who is connected"):
STATS "titanic" gains broker_links (its worker connections) and broker_links_live (those on
which the broker has spoken), and --events publishes "connected"/"disconnected" with side
"broker" when the broker comes and goes.

    zd-broker (stopped, then started again on the same port) <-- zd-titanic --events --> SUB

Before: nothing told an operator that Titanic had lost its broker but a log line per link.
"""

import sys
import tempfile

from titanictest import Device, Titanic, check, run, start_broker
from zdevents import subscribe, wait_event

HEARTBEAT_MS = 100


def titanic_stats(titanic):
    return titanic.stats()["titanic"]


def wait_live(titanic, predicate, what):
    return titanic.wait_stats(predicate, what, section="titanic")


def test(context, broker_path, titanic_path):
    with tempfile.TemporaryDirectory() as directory, \
            start_broker(broker_path, heartbeat_ms=HEARTBEAT_MS) as broker:
        endpoint = broker.endpoint
        with Titanic(titanic_path, directory, endpoint, "--events", "@tcp://127.0.0.1:*",
                     heartbeat_ms=HEARTBEAT_MS) as titanic:
            sub = subscribe(context, titanic)
            stats = wait_live(titanic, lambda s: s["broker_links_live"] == s["broker_links"],
                              "every link hearing the broker")
            check(stats["broker_links"] == 10, f"8 request links + reply + close: {stats}")

            check(broker.stop() == 0, "zd-broker did not exit 0 on SIGTERM")
            gone = wait_event(sub, "disconnected", "the broker going away", side="broker")
            check(gone["device"] == "zd-titanic" and gone["endpoint"] == ">" + endpoint,
                  f"the disconnected event: {gone}")
            check(titanic_stats(titanic)["broker_links_live"] == 0,
                  "a link still live after the disconnected event")

            # A broker on the same address again: the links reconnect by themselves.
            with Device(broker_path, "-e", "@" + endpoint, "--heartbeat-interval",
                        str(HEARTBEAT_MS)):
                wait_event(sub, "connected", "the broker coming back", side="broker")
                wait_live(titanic, lambda s: s["broker_links_live"] == s["broker_links"],
                          "every link hearing the new broker")
                check(titanic.stop() == 0, "zd-titanic did not exit 0 on SIGTERM")
            sub.close(linger=0)


if __name__ == "__main__":
    sys.exit(run(test))

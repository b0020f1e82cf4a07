"""8/MMI against zd-broker, from 0.1 (REQ) and 0.2 (DEALER) clients:
  mmi.service  200 while a live worker is registered for the service, else 404
  mmi.services (ours) JSON of every service; mmi.stats (ours) the broker's statistics
  any other mmi.*  501
  a worker may not register an mmi.* service: DISCONNECT
MMI requests never create a service.

Usage: test_mmi.py PATH/TO/zd-broker
"""

import json

from mdptest import W02_DISCONNECT, Broker, Worker, check, mmi, run


def test(context, broker_path):
    with Broker(broker_path) as broker:
        for version in (1, 2):
            check(mmi(context, broker, "mmi.service", "echo", version) == [b"404"],
                  f"0.{version}: echo has no worker yet")
        check(broker.broker_stats()["services_known"] == 0, "mmi.service created a service")

        worker = Worker(context, broker.endpoint, "echo", version=2)
        worker.ready()
        broker.wait_stats(lambda s: s["workers"] == 1, "the worker's READY")
        for version in (1, 2):
            check(mmi(context, broker, "mmi.service", "echo", version) == [b"200"],
                  f"0.{version}: echo has a worker")
            check(mmi(context, broker, "mmi.service", "other", version) == [b"404"],
                  f"0.{version}: other has none")
            check(mmi(context, broker, "mmi.unknown", "x", version) == [b"501"],
                  f"0.{version}: unknown mmi service")

        services = mmi(context, broker, "mmi.services", "", 2)
        check(len(services) == 1, f"mmi.services answered {services!r}")
        listing = json.loads(services[0])
        check(listing == {"echo": {"workers": 1, "idle": 1, "queued": 0, "in_flight": 0,
                                   "local": True, "routes": []}},
              f"mmi.services: {listing!r}")
        stats = json.loads(mmi(context, broker, "mmi.stats", "", 1)[0])
        check(stats["workers"] == 1 and "services" in stats, f"mmi.stats: {stats!r}")

        impostor = Worker(context, broker.endpoint, "mmi.service", version=2)
        impostor.ready()
        command, rest = impostor.receive(2000, "DISCONNECT for an mmi.* READY")
        check((command, rest) == (W02_DISCONNECT, []), f"expected DISCONNECT, got {command!r}")

        worker.disconnect()
        broker.wait_stats(lambda s: s["workers"] == 0, "the worker's DISCONNECT")
        check(mmi(context, broker, "mmi.service", "echo", 1) == [b"404"],
              "mmi.service still answers 200 after the last worker left")

        stats = broker.broker_stats()
        check(stats["requests"] == 11 and stats["replies"] == 11, f"counts: {stats}")
        check(stats["disconnects_sent"] == 1 and stats["protocol_errors"] == 0, f"stats: {stats}")
        worker.close()
        impostor.close()


if __name__ == "__main__":
    raise SystemExit(run(test))

"""zd-broker --peer: brokers joined into a fabric (docs/FEDERATION.md), each a real process.

- --peer with '@' (a peer is connected to, never bound) is a usage error, exit 2;
- one-sided peering carries requests both ways: B names A; A's client reaches B's worker
  and B's client reaches A's worker, over the one link;
- a full mesh of three hubs where every hub names both others (two links per pair): a
  service that appears on one hub is usable from the others (the time it took is printed;
  docs/BENCHMARKS.md reports it), mmi.service answers 200 on every hub, mmi.services and
  STATS show it as reached through that peer, and calls from the other hubs go straight to
  it: no request visits a third broker;
- a chain A - B - C: a service on C is reached from A through B (two hops) with the default
  --max-hops, and not at all with --max-hops 1 (mmi.service 404 on A).

Usage: test_federation.py PATH/TO/zd-broker
"""

import subprocess

from fedtest import (AnsweringWorker, Hub, call, check, link_named, mmi_service, run,
                     temporary_directory, wait_until)


def usage_error(broker):
    result = subprocess.run([broker, "-e", "@tcp://127.0.0.1:*", "--peer", "@tcp://127.0.0.1:9"],
                            capture_output=True, text=True, timeout=10)
    check(result.returncode == 2, f"--peer @...: exit {result.returncode}, want 2")
    check("--peer" in result.stderr and "connect" in result.stderr,
          f"--peer @...: unclear message {result.stderr!r}")


def one_sided(context, broker, directory):
    with Hub(broker, directory, "a1") as a, Hub(broker, directory, "b1", ["a1"]) as b:
        at_a = AnsweringWorker(context, a.endpoint, "at-a", "served by a1")
        at_b = AnsweringWorker(context, b.endpoint, "at-b", "served by b1")
        try:
            check(call(context, a.endpoint, "at-b", "x") == [b"served by b1"],
                  "a1's client did not reach b1's worker")
            check(call(context, b.endpoint, "at-a", "x") == [b"served by a1"],
                  "b1's client did not reach a1's worker over the link b1 opened")
            stats = a.broker()
            check(stats["forwarded"] == 1 and stats["peer_requests"] == 1,
                  f"a1 forwarded/peer_requests: {stats['forwarded']}/{stats['peer_requests']}")
            check([link["link"] for link in stats["links"]] == ["accepted #1"],
                  f"a1's links: {stats['links']}")
        finally:
            at_a.stop()
            at_b.stop()


def full_mesh(context, broker, directory):
    names = ["x", "y", "z"]
    hubs = [Hub(broker, directory, name, [peer for peer in names if peer != name])
            for name in names]
    for hub in hubs:
        hub.__enter__()
    try:
        x, y, z = hubs
        for hub in hubs:
            hub.wait_broker(lambda stats: stats["links_up"] == 4,
                            f"{hub.hub}: four links up (two to each other hub)")
        worker = AnsweringWorker(context, z.endpoint, "mesh", "served by z")
        try:
            took = wait_until(lambda: x.service_available(context, "mesh") and
                              y.service_available(context, "mesh"),
                              "mmi.service mesh = 200 on x and y")
            print(f"a service on z usable from x and y after {took * 1000:.1f} ms "
                  "(mmi.service polled every 2 ms, including the polls' own round trips)")
            check(mmi_service(context, z.endpoint, "mesh") == b"200", "z: mmi.service mesh")
            for hub in (x, y):
                for _ in range(10):
                    check(call(context, hub.endpoint, "mesh", "x") == [b"served by z"],
                          f"{hub.hub}: call to mesh")
            check(worker.served == 20, f"z's worker served {worker.served}, want 20")
            for hub in (x, y):
                stats = hub.broker()
                check(stats["forwarded"] == 10 and stats["peer_requests"] == 0,
                      f"{hub.hub}: forwarded {stats['forwarded']}, peer_requests "
                      f"{stats['peer_requests']}: a request visited a third broker")
                routes = stats["services"]["mesh"]["routes"]
                usable = [route for route in routes if route["usable"]]
                check(not stats["services"]["mesh"]["local"], f"{hub.hub}: mesh shown local")
                check(any(route["peer"] == "z" and route["hops"] == 1 for route in usable),
                      f"{hub.hub}: no usable one-hop route to z: {routes}")
                check(all(route["hops"] <= 2 for route in routes), f"{hub.hub}: {routes}")
                # Two links to each peer: one carries our requests.
                for peer in [name for name in names if name != hub.hub]:
                    check(sum(link["active"] for link in link_named(stats, peer)) == 1,
                          f"{hub.hub}: active links to {peer}: {link_named(stats, peer)}")
            check(z.broker()["peer_requests"] == 20, "z did not receive the 20 requests")
        finally:
            worker.stop()
        # The worker left: every hub withdraws the service, and no route lingers in a cycle.
        for hub in hubs:
            hub.wait_broker(lambda stats: "mesh" not in stats["services"] or
                            not stats["services"]["mesh"]["routes"],
                            f"{hub.hub}: routes to mesh withdrawn", timeout_s=10)
            check(mmi_service(context, hub.endpoint, "mesh") == b"404",
                  f"{hub.hub}: mmi.service mesh after its worker left")
    finally:
        for hub in hubs:
            hub.__exit__(None, None, None)


def chain(context, broker, directory, max_hops):
    extra = ["--max-hops", str(max_hops)]
    suffix = f"h{max_hops}"
    with Hub(broker, directory, "a" + suffix, [], *extra) as a, \
            Hub(broker, directory, "c" + suffix, [], *extra) as c, \
            Hub(broker, directory, "b" + suffix, ["a" + suffix, "c" + suffix], *extra) as b:
        worker = AnsweringWorker(context, c.endpoint, "far", "served by c")
        try:
            wait_until(lambda: b.service_available(context, "far"), "b: far available")
            if max_hops >= 2:
                wait_until(lambda: a.service_available(context, "far"), "a: far available")
                check(call(context, a.endpoint, "far", "x") == [b"served by c"], "a: call far")
                stats = b.broker()
                check(stats["peer_requests"] == 1 and stats["forwarded"] == 1,
                      f"b did not pass a's request on: {stats['peer_requests']}/"
                      f"{stats['forwarded']}")
            else:
                # b is up with both, and far is b's through c: a must not learn it.
                b.wait_broker(lambda stats: stats["links_up"] == 2, "b: both links up")
                check(mmi_service(context, a.endpoint, "far") == b"404",
                      "a learned a two-hop route with --max-hops 1")
                check("far" not in a.broker()["services"], "a holds a route it cannot use")
        finally:
            worker.stop()


def test(context, broker):
    usage_error(broker)
    with temporary_directory() as directory:
        one_sided(context, broker, directory)
        full_mesh(context, broker, directory)
        chain(context, broker, directory, 3)
        chain(context, broker, directory, 1)
    print("federation: one-sided, full mesh, chain with max hops 3 and 1: ok")


if __name__ == "__main__":
    raise SystemExit(run(test))

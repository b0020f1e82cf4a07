"""Several hosts, for real (issue 13): three network namespaces, one hub each, real traffic
across veth links, then a link cut and, separately, a link made silent.

                          namespace r (router, forwards)
                 10.213.1.1 /      | 10.213.2.1    \\ 10.213.3.1
                      veth /       | veth           \\ veth     <- cut: to-h3 down, in r
             10.213.1.2   /        | 10.213.2.2      \\ 10.213.3.2
      +-----------------+  +-----------------+  +-----------------+
      | h1: hub1        |  | h2: hub2        |  | h3: hub3        |
      |  zd-broker      |  |  zd-broker      |  |  zd-broker      |  brokers: a full mesh,
      |                 |  |                 |  |                 |  each names the others
      |  zd-forwarder   |  |  zd-forwarder   |  |  zd-forwarder   |  forwarders: a tree,
      |   (the root)    |  |   (under h1)    |  |   (under h1)    |  h1 the root
      |  worker only1   |  |  worker where   |  |  worker where   |
      |  clients        |  |  publisher (to  |  |  worker only3   |
      |                 |  |   h1's root)    |  |  subscriber     |
      |                 |  |  subscriber     |  |  clients        |
      |                 |  |  clients        |  |                 |
      |  zd-journal     |  |                 |  |  zd-journal     |  journal link: h3's
      |   (far) <-------|--|-----------------|--|-- zd-link       |  journal to h1's,
      |                 |  |                 |  |   (near)        |  across the veths
      +-----------------+  +-----------------+  +-----------------+
       silent: in h1, a blackhole route to 10.213.3.2 (h1's packets to h3 vanish)

Every hub's broker binds tcp://*:5555 in its namespace (the same port three times: they are
different hosts) and names the other two with --peer; heartbeats every 300 ms, liveness 3,
for workers, for the peer links, and (ZMTP heartbeats) for the forwarder tree, so that a
silent connection is dropped and reconnected. The publisher in h2 publishes [news, N] to the
root forwarder in h1; the subscribers in h2 and h3 read their own hub's forwarder, two hops
down the tree. Only the control sockets are outside the fabric: ipc files in a temporary
directory, read by this script from where it runs.

1. Baseline: calls between every pair of hosts are answered, news reach both subscribers.
2. Cut (h3's link down at the router): 'where' (served in h2 and h3) keeps answering from h2;
   a call to 'only3' (served in h3 alone) waits, and is answered once the link is up again,
   within its timeout; news reach h2 throughout, and reach h3 again after the link returns.
3. Silent (a blackhole route in h1 towards h3: established connections stall, no error):
   hub1 notices hub3's silence within the heartbeat bounds; the call it had sent to 'only3'
   on the silent link is requeued and answered through hub2, and so are new ones; when the
   route is removed the direct link comes back and news reach h3 again. In all, 'only3'
   served each call once: nothing lost, nothing run twice.
4. Throughout both faults, a journal link (hosted_journal.py draws it): a near zd-journal in
   h3 and a far one in h1 joined by zd-link, which runs in h3 beside the near journal, so that
   its far connection crosses the cut link and the blackhole. A producer publishes to the near
   journal all along, waiting for each batch's ACK. The link keeps running through both
   faults; its far connection (ZMTP heartbeats, the same 300 ms x 3 as the brokers') notices
   the silent path and is made again when the path heals; after each fault the backlog drains
   (the time it took is printed), and at the end every record the near journal acknowledged
   is in the far journal exactly once, in the order published.

Every namespace, link and route made is removed in a finally block, also on SIGTERM and on
this script's own deadline (SIGALRM). Where namespaces cannot be made (not root, no ip,
unshare denied) it says why and exits 77, which CTest reports as skipped.

Usage: test_three_hosts.py ZD_BROKER ZD_FORWARDER ZD_WORKER ZD_CALL ZD_SEND ZD_RECV ZD_JOURNAL
                          ZD_LINK
"""

import json
import os
import signal
import sys
import tempfile
import time
import traceback

import hosted
import hosted_journal
from hosted import HostedDevice, TestFailure, Tool, answered, call, check
from hosted_journal import AckedProducer, Watch, link_acked_at_least, watch_drain
from netfabric import Fabric, Unavailable

SKIP = 77
DEADLINE_S = 60  # the whole run; CTest's TIMEOUT is the backstop
HEARTBEAT_MS = 300
LIVENESS = 3
BROKER_PORT, FRONTEND_PORT, BACKEND_PORT = 5555, 5550, 5551
HOSTS = ("h1", "h2", "h3")
NEAR_HOST, FAR_HOST = "h3", "h1"  # the journal link's ends: near (and the link), far
PRODUCER_ID = "h3-orders"
RESEND_AFTER_MS = 500  # the link resends what the far journal has not acknowledged this long


class Interrupted(Exception):
    """SIGTERM or the deadline (SIGALRM): unwinds through the finally blocks."""


def on_signal(signum, frame):
    # One unwinding is enough: a second signal must not cut the clean-up short.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGALRM, signal.SIG_IGN)
    raise Interrupted(f"stopped by {signal.Signals(signum).name}")


def wait_until(predicate, what, timeout_s, step_s=0.02, detail=None):
    """Polls predicate until it holds; the seconds it took. detail() says more on failure."""
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout_s:
            more = f"; {detail()}" if detail else ""
            raise TestFailure(f"timed out after {timeout_s} s waiting for {what}{more}")
        time.sleep(step_s)
    return time.monotonic() - started


class HubsOnHosts:
    """The hubs, workers, publisher and subscribers drawn above, on a Fabric."""

    def __init__(self, fabric, programs, directory):
        self.fabric = fabric
        self.broker_path, self.forwarder_path, self.worker_path, self.call_path, \
            self.send_path, self.recv_path, self.journal_path, self.link_path = programs
        self.directory = directory
        self.brokers = {}
        self.forwarders = {}
        self.devices = []
        self.calls = 0
        self.calls_to = {}  # service -> calls made
        self.producer = None  # to the near journal, started once all is up (journal_baseline)

    def tcp(self, host, port):
        return f"tcp://{self.fabric.address(host)}:{port}"

    def start_device(self, host, path, *args):
        device = HostedDevice(self.fabric, host, path, *args).__enter__()
        self.devices.append(device)
        return device

    def start(self):
        timing = ["--heartbeat-interval", str(HEARTBEAT_MS),
                  "--heartbeat-liveness", str(LIVENESS)]
        for host in HOSTS:
            peers = []
            for other in HOSTS:
                if other != host:
                    peers += ["--peer", ">" + self.tcp(other, BROKER_PORT)]
            self.brokers[host] = self.start_device(
                host, self.broker_path, "-e", f"@tcp://*:{BROKER_PORT}", "--name", "hub" + host[1],
                "--control", f"@ipc://{self.directory}/{host}-broker.ctl", *timing, *peers)
        zmtp_heartbeats = ["--heartbeat-ivl", str(HEARTBEAT_MS),
                           "--heartbeat-timeout", str(HEARTBEAT_MS * LIVENESS)]
        for host in HOSTS:
            upstream = (f"@tcp://*:{FRONTEND_PORT}" if host == "h1"
                        else ">" + self.tcp("h1", BACKEND_PORT))
            self.forwarders[host] = self.start_device(
                host, self.forwarder_path, "-f", upstream, "-b", f"@tcp://*:{BACKEND_PORT}",
                "--control", f"@ipc://{self.directory}/{host}-forwarder.ctl", *zmtp_heartbeats)
        worker_timing = ["--heartbeat-interval", str(HEARTBEAT_MS), "--reconnect-delay", "300"]
        self.tool("h1", "worker-only1", [self.worker_path, "-b", self.local(BROKER_PORT),
                                         *worker_timing, "only1", "--", "sed", "s/^/h1:/"])
        for host in ("h2", "h3"):
            self.tool(host, f"worker-where-{host}",
                      [self.worker_path, "-b", self.local(BROKER_PORT), *worker_timing,
                       "where", "--", "echo", host])
        self.tool("h3", "worker-only3", [self.worker_path, "-b", self.local(BROKER_PORT),
                                         *worker_timing, "only3", "--", "sed", "s/^/h3:/"])
        self.subscribers = {
            host: self.tool(host, f"subscriber-{host}",
                            [self.recv_path, "--subscribe", "news", self.local(BACKEND_PORT)])
            for host in ("h2", "h3")}
        self.publisher = self.tool(
            "h2", "publisher", [self.send_path, "--type", "pub", "-s", "|",
                                "--wait-subscriber", "10000", self.tcp("h1", FRONTEND_PORT)],
            feed=True)
        self.start_journal_link(timing=zmtp_heartbeats)

    def start_journal_link(self, timing):
        """The near journal and the link in NEAR_HOST, the far journal in FAR_HOST. The test
        reaches the near frontend and the far backend through ipc (hosted_journal.py)."""
        d = self.directory
        self.near_journal = self.start_device(
            NEAR_HOST, self.journal_path, "--dir", f"{d}/journal-near",
            "-f", f"@ipc://{d}/journal-near.in",
            "-b", f"@tcp://127.0.0.1:{hosted_journal.BACKEND_PORT}",
            "--control", f"@ipc://{d}/{NEAR_HOST}-journal.ctl")
        self.far_journal = self.start_device(
            FAR_HOST, self.journal_path, "--dir", f"{d}/journal-far",
            "-f", f"@tcp://*:{hosted_journal.JOURNAL_PORT}", "-b", f"@ipc://{d}/journal-far.out",
            "--control", f"@ipc://{d}/{FAR_HOST}-journal.ctl")
        self.link = self.start_device(
            NEAR_HOST, self.link_path,
            "--from", f">tcp://127.0.0.1:{hosted_journal.BACKEND_PORT}",
            "--to", ">" + self.tcp(FAR_HOST, hosted_journal.JOURNAL_PORT),
            "--name", f"{NEAR_HOST}-to-{FAR_HOST}", "--resend-after", str(RESEND_AFTER_MS),
            "--control", f"@ipc://{d}/{NEAR_HOST}-link.ctl", *timing)

    @staticmethod
    def local(port):
        return f"tcp://127.0.0.1:{port}"

    def tool(self, host, label, argv, feed=False):
        return Tool(self.fabric, host, argv, self.directory, label, feed)

    # --- what the hubs say -------------------------------------------------------------------

    def broker_stats(self, host):
        return self.brokers[host].stats()["broker"]

    def link_up(self, host, peer_name):
        return any(link["peer"] == peer_name and link["up"]
                   for link in self.broker_stats(host)["links"])

    def show_broker(self, host):
        """The broker's links and services, for a failure message."""
        stats = self.broker_stats(host)
        return f"{host}'s broker: " + json.dumps(
            {"links": stats["links"], "services": stats["services"]}, sort_keys=True)

    def routes(self, host, service):
        """The usable routes to service through peers (two brokers that name each other have
        two links, one of them active: a route on the other is listed, not usable)."""
        service_stats = self.broker_stats(host)["services"].get(service)
        return [route for route in (service_stats["routes"] if service_stats else [])
                if route["usable"]]

    # --- traffic -----------------------------------------------------------------------------

    def call(self, client_host, service, body, timeout_ms=5000):
        self.calls += 1
        self.calls_to[service] = self.calls_to.get(service, 0) + 1
        return call(self.fabric, client_host, self.call_path,
                    f"tcp://127.0.0.1:{BROKER_PORT}", service, body, self.directory,
                    f"call-{self.calls}-{client_host}-{service}", timeout_ms)

    def publish_until_received(self, tag, hosts, timeout_s):
        """Publishes news|TAG-1, news|TAG-2, ... every 50 ms until every subscriber in hosts
        printed one of them; the seconds it took."""
        started = time.monotonic()
        sequence = 0

        def everyone_has_one():
            return all(any(line.startswith(f"news | {tag}-") for line in
                           self.subscribers[host].lines) for host in hosts)

        while not everyone_has_one():
            check(self.publisher.running(),
                  f"the publisher exited: {self.publisher.stderr_text()!r}")
            if time.monotonic() - started > timeout_s:
                raise TestFailure(
                    f"no news|{tag}-N reached {hosts} within {timeout_s} s; subscribers saw: "
                    + json.dumps({host: sub.lines[-5:] for host, sub in self.subscribers.items()}))
            sequence += 1
            self.publisher.feed(f"news|{tag}-{sequence}")
            time.sleep(0.05)
        return time.monotonic() - started

    def link_stats(self):
        """The link's state and the parts of its STATS a failure message needs."""
        stats = self.link.stats()
        return json.dumps({"state": stats["state"], "link": stats["link"],
                           "far peer": stats["peers"]["far"]}, sort_keys=True)

    def far_connected(self):
        return self.link.stats()["peers"]["far"]["connected"] > 0

    def show_output(self):
        if self.producer is not None:
            self.producer.stop_quietly()
        for device in self.devices:
            device.kill()
            print(f"--- {device.name} in {device.host}:\n{getattr(device, 'ready_line', '')}\n"
                  f"{device.stderr_text}", file=sys.stderr)
        for name in sorted(os.listdir(self.directory)):
            if name.endswith(".stderr"):
                with open(os.path.join(self.directory, name), errors="replace") as log:
                    text = log.read().strip()
                if text:
                    print(f"--- {name}:\n{text}", file=sys.stderr)


# --- the story -----------------------------------------------------------------------------

def baseline(hubs):
    for host in HOSTS:
        others = [f"hub{other[1]}" for other in HOSTS if other != host]
        wait_until(lambda: all(hubs.link_up(host, peer) for peer in others),
                   f"{host}: links up to {others}", 10)
    wait_until(lambda: {route["peer"] for route in hubs.routes("h1", "where")} == {"hub2", "hub3"}
               and hubs.routes("h1", "only3"),
               "hub1: routes to 'where' (hub2, hub3) and 'only3' (hub3)", 10,
               detail=lambda: hubs.show_broker("h1"))
    wait_until(lambda: hubs.routes("h3", "only1"), "hub3: a route to 'only1'", 10)
    answered(hubs.call("h1", "only3", "hello"), "h3:hello", 6, "h1 -> only3 (in h3)")
    answered(hubs.call("h3", "only1", "hello"), "h1:hello", 6, "h3 -> only1 (in h1)")
    answered(hubs.call("h2", "only3", "hello"), "h3:hello", 6, "h2 -> only3 (in h3)")
    took = hubs.publish_until_received("base", ["h2", "h3"], 10)
    print(f"baseline: calls across every link answered; news from h2 through the root in h1 "
          f"reached h2 and h3 ({took * 1000:.0f} ms after the first was published)")


def journal_baseline(hubs):
    """The producer starts; records cross the link before any fault."""
    hubs.producer = AckedProducer(f"ipc://{hubs.directory}/journal-near.in", PRODUCER_ID)
    took = wait_until(lambda: link_acked_at_least(hubs.link, 20) and hubs.producer.running(),
                      "the journal link: 20 records stored far away", 10,
                      detail=hubs.link_stats)
    print(f"journal: the link from {NEAR_HOST} to {FAR_HOST} carries the producer's records "
          f"(20 stored far away {took * 1000:.0f} ms after the producer started)")


def journal_rode_out(hubs, fault):
    """The producer and the link are still running after fault."""
    check(hubs.producer.running(), f"the producer stopped during the {fault}: "
          f"{hubs.producer.error}")
    check(hubs.link.process.poll() is None, f"zd-link exited during the {fault} "
          f"({hubs.link.process.returncode})")


def cut_link(hubs, fabric):
    fabric.cut("h3")
    cut_at = time.monotonic()
    held = hubs.call("h1", "only3", "after the cut", timeout_ms=25000)
    for attempt in range(3):
        answered(hubs.call("h1", "where", "?"), "h2", 6,
                 f"'where' from h1 with h3 cut (call {attempt + 1})")
    noticed = wait_until(lambda: not hubs.link_up("h1", "hub3"), "hub1: the link to hub3 down",
                         5)
    wait_until(lambda: not hubs.routes("h1", "only3"), "hub1: 'only3' withdrawn", 3)
    print(f"cut: hub1 saw hub3 gone {(time.monotonic() - cut_at) * 1000:.0f} ms after the cut "
          f"(waited {noticed * 1000:.0f} ms after the 'where' calls, all served by h2)")
    if not held.running():
        raise TestFailure(f"the call to 'only3' ended while h3 was cut off: "
                          f"{held.finish(1, 'its exit')!r}, stderr {held.stderr_text()!r}")
    hubs.publish_until_received("cut", ["h2"], 5)
    fabric.restore("h3")
    restored_at = time.monotonic()
    drain, backlog = watch_drain(hubs.link, hubs.near_journal)
    took = answered(held, "h3:after the cut", 20,
                    "the held call to 'only3' after the link returned")
    print(f"cut: the call to 'only3' made during the cut was answered {took * 1000:.0f} ms after "
          f"the link came back ({(time.monotonic() - cut_at) * 1000:.0f} ms after it was made)")
    took = hubs.publish_until_received("after-cut", ["h2", "h3"], 15)
    print(f"cut: news reach h3 again {(time.monotonic() - restored_at) * 1000:.0f} ms after the "
          f"link came back")
    wait_until(lambda: hubs.link_up("h1", "hub3") and hubs.link_up("h3", "hub1"),
               "hub1 and hub3 linked again", 15)
    print(f"cut: hub1 and hub3 linked again {(time.monotonic() - restored_at) * 1000:.0f} ms "
          f"after the link came back")
    took = drain.wait(15, f"the journal link to drain the cut's backlog; {hubs.link_stats()}")
    journal_rode_out(hubs, "cut")
    print(f"cut: the journal link drained its backlog ({backlog} records held in {NEAR_HOST}) "
          f"{took * 1000:.0f} ms after the link came back")


def silent_link(hubs, fabric):
    fabric.silence("h1", towards="h3")
    silenced_at = time.monotonic()
    # The link in h3 hears nothing from the far journal in h1 any more: its ZMTP heartbeats
    # drop the far connection, and its reconnections get no answer until the path heals.
    link_dropped = Watch(lambda: not hubs.far_connected())
    # Made before hub1 knows: it goes on the direct link, whose TCP connection swallows it.
    stalled = hubs.call("h1", "only3", "stalled", timeout_ms=10000)
    try:
        noticed = wait_until(lambda: not hubs.link_up("h1", "hub3"),
                             "hub1: the silent link to hub3 taken down", 5)
        # hub3's packets still reach h1 until hub3's TCP, never acknowledged, stops sending
        # new data and only retransmits (one retransmission timeout, 200 ms or more); then
        # liveness intervals, plus one for the timer's granularity and the process' turns.
        bound_ms = (LIVENESS + 1) * HEARTBEAT_MS + 900
        print(f"silent: hub1 took the link to hub3 down {noticed * 1000:.0f} ms after the "
              f"blackhole (heartbeat {HEARTBEAT_MS} ms x liveness {LIVENESS})")
        check(noticed * 1000 < bound_ms, f"hub1 took {noticed * 1000:.0f} ms to notice hub3's "
              f"silence (bound {bound_ms} ms)")
        wait_until(lambda: any(route["peer"] == "hub2" for route in hubs.routes("h1", "only3")),
                   "hub1: a route to 'only3' through hub2", 5)
        answered(stalled, "h3:stalled", 8, "the call made as h3 fell silent")
        retried = hubs.broker_stats("h1")["services"]["only3"]["retried"]
        check(retried >= 1, "hub1 did not requeue the call it had sent on the silent link "
              f"(only3 retried {retried})")
        print(f"silent: the call made as the link fell silent was answered "
              f"{(time.monotonic() - silenced_at) * 1000:.0f} ms after (requeued by hub1, "
              f"then through hub2)")
        answered(hubs.call("h1", "only3", "around"), "h3:around", 6,
                 "h1 -> only3 through hub2 while h1 cannot reach h3")
        answered(hubs.call("h1", "where", "?"), "h2", 6, "'where' from h1 while h3 is silent")
        hubs.publish_until_received("silent", ["h2"], 5)
        dropped = link_dropped.wait(5, "the link to drop its silent far connection")
        print(f"silent: the journal link dropped its far connection {dropped * 1000:.0f} ms "
              f"after the blackhole (ZMTP heartbeat {HEARTBEAT_MS} ms, timeout "
              f"{HEARTBEAT_MS * LIVENESS} ms)")
        check(dropped * 1000 < bound_ms, f"the link took {dropped * 1000:.0f} ms to notice the "
              f"far journal's silence (bound {bound_ms} ms)")
    finally:
        fabric.unsilence("h1", towards="h3")
    healed_at = time.monotonic()
    drain, backlog = watch_drain(hubs.link, hubs.near_journal)
    took = hubs.publish_until_received("healed", ["h2", "h3"], 20)
    print(f"silent: news reach h3 again {took * 1000:.0f} ms after the blackhole was removed "
          f"({(healed_at - silenced_at) * 1000:.0f} ms of silence)")
    wait_until(lambda: hubs.link_up("h1", "hub3") and hubs.link_up("h3", "hub1"),
               "hub1 and hub3 linked again", 15)
    print(f"silent: hub1 and hub3 linked again {(time.monotonic() - healed_at) * 1000:.0f} ms "
          f"after the blackhole was removed")
    answered(hubs.call("h3", "only1", "back"), "h1:back", 6, "h3 -> only1 after the silence")
    took = drain.wait(15, f"the journal link to drain the silence's backlog; {hubs.link_stats()}")
    journal_rode_out(hubs, "silence")
    print(f"silent: the journal link drained its backlog ({backlog} records held in "
          f"{NEAR_HOST}) {took * 1000:.0f} ms after the blackhole was removed")
    # No request was lost or run twice, through both faults: only3's one worker served each
    # call exactly once (a stalled request requeued, never also delivered late).
    served = hubs.broker_stats("h3")["services"]["only3"]["served"]
    check(served == hubs.calls_to["only3"],
          f"hub3 served 'only3' {served} times for {hubs.calls_to['only3']} calls")


def journal_complete(hubs):
    """The producer stops; everything the near journal acknowledged reaches the far journal,
    once each, in order."""
    acked = hubs.producer.stop()
    last = acked[-1] - 1  # near offsets: the producer's seqs from 1, the only producer
    wait_until(lambda: link_acked_at_least(hubs.link, last),
               f"the link to forward the last record (near offset {last})", 10,
               detail=hubs.link_stats)
    records = hosted_journal.far_records(f"ipc://{hubs.directory}/journal-far.out")
    hosted_journal.check_exactly_once_in_order(records, PRODUCER_ID, acked)
    counters = hubs.link.stats()["link"]["counters"]
    print(f"journal: all {len(acked)} records the near journal acknowledged are in the far "
          f"journal once each, in order (the link resent {counters['republished']} after "
          f"{counters['stalls']} stalls; the far journal dropped the duplicates)")


def run(programs):
    with tempfile.TemporaryDirectory(prefix="zd-hosts-") as directory:
        try:
            fabric = Fabric(HOSTS).__enter__()
        except Unavailable as reason:
            print(f"SKIP test_three_hosts.py: {reason}")
            return SKIP
        hubs = None
        try:
            hubs = HubsOnHosts(fabric, programs, directory)
            hubs.start()
            baseline(hubs)
            journal_baseline(hubs)
            cut_link(hubs, fabric)
            silent_link(hubs, fabric)
            journal_complete(hubs)
        except (TestFailure, Interrupted, Exception) as failure:
            if isinstance(failure, TestFailure):
                print(f"FAIL test_three_hosts.py: {failure}", file=sys.stderr)
            else:
                print("FAIL test_three_hosts.py:", file=sys.stderr)
                traceback.print_exc()
            if hubs is not None:
                hubs.show_output()
            return 1
        finally:
            hosted.stop_all()
            fabric.remove()
        left = hosted.still_running() or fabric.leftovers()
        if left:
            print(f"FAIL test_three_hosts.py: left behind: {left}", file=sys.stderr)
            return 1
    print("PASS test_three_hosts.py")
    return 0


def main():
    if len(sys.argv) != 9:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGALRM, on_signal)
    signal.alarm(DEADLINE_S)
    try:
        return run(sys.argv[1:])
    finally:
        signal.alarm(0)


if __name__ == "__main__":
    sys.exit(main())

"""CURVE on zd-journal and zd-link (issue 14), with certificates from zd-keygen and pyzmq
peers written from docs/JOURNAL.md's frames:

    pyzmq producer --PUB (CURVE)--> zd-journal "near" --REC (CURVE)--> pyzmq consumer
                                         |  backend
                                      zd-link (--near-curve-server-key, --far-curve-server-key)
                                         |  frontend
                                    zd-journal "far"  --REC (CURVE)--> pyzmq consumer

  - an allowed producer's records are ACKed, an allowed consumer and replay reader get them,
    STATS answers on the CURVE control socket;
  - an unknown key, a plain-text producer and one with the wrong server key get nothing
    stored: each waits for its handshake's outcome, publishes anyway, then an allowed
    producer's marker is ACKed and the log holds the marker and nothing else;
  - the bytes on the wire carry no plaintext payload (a TCP relay in front of the frontend);
  - a side's own allow-list (--replay-curve-allow) holds on that side only; an ipc frontend
    does CURVE too;
  - zd-link carries records between two CURVE journals, each with its own server key;
  - zd-journal-tool consume and read reach a CURVE journal with --curve-cert and
    --curve-server-key;
  - fail closed, exit 2 naming the problem: CURVE without an allow-list, a secret certificate
    readable by others, the link without one journal's server key, the tool without the
    journal's key.

Certificate, monitor and relay helpers are copied from test_curve_devices.py (kept minimal
until they move to tests/support/zdcurve.py).

Usage: test_curve_journal.py ZD-KEYGEN ZD-JOURNAL ZD-LINK ZD-JOURNAL-TOOL
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile

import zmq
import zmq.auth

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
import zdinterop  # noqa: E402
from zdinterop import Device, TestFailure, check, run  # noqa: E402
from zdcurve import Relay, close_monitored, exits_2, handshake_outcome  # noqa: E402

zdinterop.TEST_DEADLINE_S = 60  # three journals and a link, each started and stopped
TCP = "@tcp://127.0.0.1:*"
TIMEOUT_MS = 5000
NOTHING_MORE_MS = 300  # after a refusal was seen: a message would have arrived by now
SECRET = b"SECRET-JOURNAL-PAYLOAD-5e1d"


class Keys:
    """Certificates made by zd-keygen in a temporary directory: the two journals' ("hub",
    "far"), the allowed peers' ("client", "link", both in allow/) and a stranger's."""

    def __init__(self, keygen, directory):
        self.directory = directory
        self.keygen = keygen
        self.allow = os.path.join(directory, "allow")
        os.mkdir(self.allow)
        for name in ("hub", "far", "client", "link", "stranger", "reader"):
            done = subprocess.run([keygen, self.path(name)], capture_output=True, timeout=10)
            check(done.returncode == 0, f"zd-keygen {name}: {done.stderr!r}")
        for name in ("client", "link"):
            shutil.copy(self.path(name), self.allow)
        self.readers = os.path.join(directory, "readers")  # a side's own allow-list
        os.mkdir(self.readers)
        shutil.copy(self.path("reader"), self.readers)

    def path(self, name):
        return os.path.join(self.directory, name)

    def pair(self, name):
        """(public, secret) as pyzmq takes them."""
        return zmq.auth.load_certificate(self.path(name) + "_secret")

    def public(self, name):
        return zmq.auth.load_certificate(self.path(name))[0]

    def journal_flags(self, hub="hub"):
        return ["--curve-cert", self.path(hub + "_secret"), "--curve-allow", self.allow]


def monitored(context, keys, name=None, server="hub", server_key=None):
    """A DEALER with a monitor; a CURVE client of server's key if name is given."""
    sock = context.socket(zmq.DEALER)
    sock.linger = 0
    if name is not None:
        sock.curve_publickey, sock.curve_secretkey = keys.pair(name)
        sock.curve_serverkey = server_key if server_key is not None else keys.public(server)
    monitor = sock.get_monitor_socket(zmq.EVENT_HANDSHAKE_SUCCEEDED |
                                      zmq.EVENT_HANDSHAKE_FAILED_AUTH |
                                      zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL |
                                      zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                                      zmq.EVENT_DISCONNECTED)
    return sock, monitor


def connected(context, keys, address, name="client", server="hub"):
    """An allowed DEALER whose handshake succeeded."""
    sock, monitor = monitored(context, keys, name, server)
    sock.connect(address)
    check(handshake_outcome(monitor) == zmq.EVENT_HANDSHAKE_SUCCEEDED,
          f"the allowed peer ({name}) was refused at {address}")
    sock.disable_monitor()
    monitor.close(linger=0)
    return sock


def receive(sock, what, timeout_ms=TIMEOUT_MS):
    if not sock.poll(timeout_ms):
        raise TestFailure(f"timed out after {timeout_ms} ms waiting for {what}")
    return sock.recv_multipart()


def publish(sock, producer, seq, payload):
    """PUB one message and wait for its ACK."""
    sock.send_multipart([b"PUB %s %d %d" % (producer, seq, seq), payload])
    reply = receive(sock, f"ACK {producer!r} {seq}")
    check(reply == [b"ACK %s %d" % (producer, seq)], f"expected the ACK, got {reply!r}")


def consume(context, keys, journal, name, count, server="hub"):
    """The payloads of the first count records, read by an allowed named consumer."""
    sock = connected(context, keys, journal.address("backend"), server=server)
    sock.send(b"SUB %s earliest" % name)
    payloads = []
    for _ in range(count):
        frames = receive(sock, "a record")
        check(frames[0].startswith(b"REC ") and len(frames) == 2, f"not a record: {frames!r}")
        payloads.append(frames[1])
        sock.send(b"ACK %s" % frames[0].split(b" ")[1])
    sock.close(linger=0)
    return payloads


def stats(context, keys, journal, server="hub"):
    """STATS over the CURVE control socket, as an allowed client."""
    sock, monitor = monitored(context, keys, "client", server)
    sock.connect(journal.address("control"))
    check(handshake_outcome(monitor) == zmq.EVENT_HANDSHAKE_SUCCEEDED,
          "the allowed client was refused on the control socket")
    sock.send_multipart([b"", b"STATS"])  # a DEALER speaking to the REP-style control socket
    reply = receive(sock, "a STATS reply")
    close_monitored((sock, monitor))
    return json.loads(reply[-1])


def journal(path, directory, keys, hub="hub", *args):
    return Device(path, "--dir", directory, "-f", TCP, "-b", TCP, "--replay", TCP, "--control",
                  TCP, *keys.journal_flags(hub), *args)


def refused_stores_nothing(context, keys, device, allowed, name=None, server_key=None):
    """A producer that must be refused publishes anyway; then the allowed producer's marker is
    ACKed, and the log grew by the marker alone."""
    before = stats(context, keys, device)["log"]["next_offset"]
    sock, monitor = monitored(context, keys, name, server_key=server_key)
    sock.connect(device.address("frontend"))
    outcome = handshake_outcome(monitor)
    what = name or "plain text"
    check(outcome != zmq.EVENT_HANDSHAKE_SUCCEEDED, f"a producer that must be refused ({what}) "
          "got in")
    for seq in range(1, 11):
        try:
            sock.send_multipart([b"PUB intruder %d %d" % (seq, seq), SECRET], zmq.NOBLOCK)
        except zmq.Again:
            pass
    check(not sock.poll(NOTHING_MORE_MS), f"the refused producer ({what}) got an answer")
    close_monitored((sock, monitor))
    allowed.seq += 1
    publish(allowed.sock, b"p1", allowed.seq, b"marker-%d" % allowed.seq)
    after = stats(context, keys, device)
    check(after["log"]["next_offset"] == before + 1,
          f"{what}: the log went from {before} to {after['log']['next_offset']}, want the "
          "marker alone")
    return outcome


class AllowedProducer:
    def __init__(self, sock):
        self.sock = sock
        self.seq = 0


def tool_reads(keys, tool_path, device):
    """zd-journal-tool read and consume as CURVE clients of the journal."""
    curve = ["--curve-cert", keys.path("client_secret"), "--curve-server-key", keys.path("hub")]
    for command in (["read", device.address("replay"), "--count", "2"],
                    ["consume", device.address("backend"), "--name", "tool", "--from",
                     "earliest", "--count", "2"]):
        done = subprocess.run([tool_path, *command, *curve], stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=10)
        check(done.returncode == 0 and "one" in done.stdout and "two" in done.stdout,
              f"zd-journal-tool {command[0]} over CURVE: exit {done.returncode}, "
              f"stdout {done.stdout!r}, stderr {done.stderr!r}")


def journal_scenarios(context, keys, journal_path, tool_path, directory):
    with journal(journal_path, directory, keys) as device:
        producer = AllowedProducer(connected(context, keys, device.address("frontend")))
        for payload in (b"one", b"two"):
            producer.seq += 1
            publish(producer.sock, b"p1", producer.seq, payload)
        got = consume(context, keys, device, b"c1", 2)
        check(got == [b"one", b"two"], f"the allowed consumer read {got!r}")

        reader = connected(context, keys, device.address("replay"))
        reader.send(b"READ 0 10")
        frames = receive(reader, "the replay page")
        check(frames[0].startswith(b"REC 0 ") and frames[1] == b"one",
              f"the replay reader got {frames!r}")
        reader.close(linger=0)

        refused_stores_nothing(context, keys, device, producer, "stranger")
        refused_stores_nothing(context, keys, device, producer, None)
        refused_stores_nothing(context, keys, device, producer, "client",
                               server_key=zmq.curve_keypair()[0])
        # The consumer side refuses as well: a stranger reads nothing.
        sock, monitor = monitored(context, keys, "stranger")
        sock.connect(device.address("backend"))
        check(handshake_outcome(monitor) != zmq.EVENT_HANDSHAKE_SUCCEEDED,
              "a stranger's consumer got in")
        try:
            sock.send(b"SUB thief earliest", zmq.NOBLOCK)
        except zmq.Again:  # no connection to queue it on: refused, as it should be
            pass
        check(not sock.poll(NOTHING_MORE_MS), "a stranger's consumer received something")
        close_monitored((sock, monitor))

        relay = Relay(device.address("frontend"))
        through = connected(context, keys, relay.address)
        publish(through, b"p2", 1, SECRET)
        through.close(linger=0)
        wire = relay.bytes_seen()
        check(SECRET not in wire, "the payload crossed the wire in plain text")
        check(b"CURVE" in wire, "the relay saw no CURVE greeting")
        counters = stats(context, keys, device)["counters"]
        check(counters["published"] == producer.seq + 1,
              f"published {counters['published']}, want {producer.seq + 1}")
        tool_reads(keys, tool_path, device)
        check(device.stop() == 0, "zd-journal did not exit 0")
    print("zd-journal: allowed producer ACKed, consumer and reader served, STATS over CURVE; "
          "unknown key, plain text and wrong server key store nothing; no plaintext on the wire")


def refused_at(context, keys, address, name):
    sock, monitor = monitored(context, keys, name)
    sock.connect(address)
    check(handshake_outcome(monitor) != zmq.EVENT_HANDSHAKE_SUCCEEDED,
          f"{name} got in at {address}, which its allow-list does not name")
    close_monitored((sock, monitor))


def side_and_ipc_scenario(context, keys, journal_path, directory):
    """--replay-curve-allow gives the replay side its own allow-list; an ipc frontend does
    CURVE like a tcp one."""
    front = "ipc://" + os.path.join(directory, "front.ipc")
    with Device(journal_path, "--dir", os.path.join(directory, "sides"), "-f", "@" + front,
                "-b", TCP, "--replay", TCP, "--control", TCP, *keys.journal_flags(),
                "--replay-curve-allow", keys.readers) as device:
        producer = connected(context, keys, device.address("frontend"))
        publish(producer, b"p1", 1, b"over-ipc")
        producer.close(linger=0)
        refused_at(context, keys, device.address("frontend"), "stranger")
        reader = connected(context, keys, device.address("replay"), name="reader")
        reader.send(b"READ 0 10")
        frames = receive(reader, "the replay page")
        check(frames[0].startswith(b"REC 0 ") and frames[1] == b"over-ipc",
              f"the replay reader got {frames!r}")
        reader.close(linger=0)
        refused_at(context, keys, device.address("replay"), "client")
        refused_at(context, keys, device.address("frontend"), "reader")
        check(device.stop() == 0, "zd-journal did not exit 0")
    print("zd-journal: the replay side's own allow-list holds; CURVE on an ipc frontend")


def link_scenario(context, keys, journal_path, link_path, directory):
    near_dir = os.path.join(directory, "near-journal")
    far_dir = os.path.join(directory, "far-journal")
    with journal(journal_path, near_dir, keys) as near, \
            journal(journal_path, far_dir, keys, "far") as far:
        with Device(link_path, "--from", ">" + near.address("backend"), "--to",
                    ">" + far.address("frontend"), "--name", "l1", "--curve-cert",
                    keys.path("link_secret"), "--near-curve-server-key", keys.path("hub"),
                    "--far-curve-server-key", keys.path("far")) as link:
            producer = connected(context, keys, near.address("frontend"))
            for seq in (1, 2, 3):
                publish(producer, b"p1", seq, b"linked-%d" % seq)
            producer.close(linger=0)
            got = consume(context, keys, far, b"far-reader", 3, server="far")
            check(got == [b"linked-1", b"linked-2", b"linked-3"], f"the far journal has {got!r}")
            check(link.stop() == 0, "zd-link did not exit 0")
    print("zd-link: records carried between two CURVE journals, each with its own server key")


def fail_closed(keys, journal_path, link_path, tool_path, directory):
    base = ["--dir", os.path.join(directory, "refused"), "-f", TCP, "-b", TCP]
    hub = keys.path("hub_secret")
    exits_2(journal_path, base + ["--curve-cert", hub], "no allow-list",
            "zd-journal: CURVE without an allow-list")
    exits_2(journal_path, base + ["--curve-cert", hub, "--curve-allow", keys.allow, "--replay",
                                  TCP, "--replay-curve-allow", os.path.join(directory, "none")],
            "none", "zd-journal: a replay allow-list that does not exist")
    loose = keys.path("loose_secret")
    shutil.copy(hub, loose)
    os.chmod(loose, 0o640)
    exits_2(journal_path, base + ["--curve-cert", loose, "--curve-allow", keys.allow],
            "chmod 600", "zd-journal: a secret certificate readable by its group")
    check(not os.path.exists(os.path.join(directory, "refused")),
          "zd-journal made its directory although it refused to start")
    link = ["--from", ">tcp://127.0.0.1:1", "--to", ">tcp://127.0.0.1:2", "--name", "l1",
            "--curve-cert", keys.path("link_secret")]
    exits_2(link_path, link + ["--near-curve-server-key", keys.path("hub")], "--far-curve-server-key",
            "zd-link: no server key for the far journal")
    exits_2(link_path, link + ["--far-curve-server-key", keys.path("far")],
            "--near-curve-server-key", "zd-link: no server key for the near journal")
    exits_2(link_path, link + ["--curve-server-key", keys.path("hub"), "--control", TCP],
            "no allow-list", "zd-link: a CURVE control socket without an allow-list")
    exits_2(tool_path, ["read", "tcp://127.0.0.1:1", "--curve-cert", keys.path("client_secret")],
            "--curve-server-key", "zd-journal-tool: CURVE without the journal's key")
    print("zd-journal, zd-link, zd-journal-tool: every fail-closed case exits 2 naming the problem")


def test(context, keygen, journal_path, link_path, tool_path):
    with tempfile.TemporaryDirectory() as directory:
        keys = Keys(keygen, directory)
        fail_closed(keys, journal_path, link_path, tool_path, directory)
        journal_scenarios(context, keys, journal_path, tool_path,
                          os.path.join(directory, "journal"))
        side_and_ipc_scenario(context, keys, journal_path, directory)
        link_scenario(context, keys, journal_path, link_path, directory)


if __name__ == "__main__":
    sys.exit(run(test))

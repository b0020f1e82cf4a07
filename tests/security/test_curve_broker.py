"""CURVE on the Majordomo programs (issue 14): zd-broker (its --endpoint, and its --peer links),
zd-worker, zd-call and zd-titanic, with certificates from zd-keygen:

  - a broker with CURVE, a zd-worker and a zd-call with allowed certificates: a round trip;
    a zd-call or a zd-worker with an unknown key gets nothing through;
  - a zguide-style MDP client written here with pyzmq: with an allowed key it gets its reply
    (and its request crosses the wire encrypted, seen by a TCP relay); with an unknown key or
    in plain text its handshake is refused and no reply ever comes;
  - two brokers federated over CURVE (hub B's --peer link to hub A is a CURVE client of A's
    key, and A lets it in because B's public certificate is in A's allow directory): a call
    on A is served by a worker on B;
  - zd-titanic with CURVE: a request stored, dispatched through the broker, its reply kept;
  - fail closed, exit 2 naming the problem, for each program.

Usage: test_curve_broker.py ZD-KEYGEN ZD-BROKER ZD-WORKER ZD-CALL ZD-TITANIC
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time

import zmq

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
sys.path.insert(0, os.path.join(HERE, "..", "mdp"))
import zdinterop  # noqa: E402
from zdinterop import Device, check, run  # noqa: E402
from zdcurve import (NOTHING_MORE_MS, Keys, Relay, close_monitored, exits_2,  # noqa: E402
                     handshake_outcome, monitored, receive)
from mdptest import C02, C02_FINAL, C02_REQUEST, client_request_v02  # noqa: E402

TCP = "@tcp://127.0.0.1:*"
SECRET = b"SECRET-MDP-REQUEST-5be1"


def server_flags(keys, name, allow=None):
    """A hub's flags: its certificate and who may connect."""
    return ["--curve-cert", keys.path(name + "_secret"), "--curve-allow", allow or keys.allow]


def client_flags(keys, name, server="hub"):
    """A client's flags: its certificate and the server's public certificate."""
    return ["--curve-cert", keys.path(name + "_secret"), "--curve-server-key", keys.path(server)]


class Worker:
    """zd-worker --echo as a process, ended when the block is left."""

    def __init__(self, program, endpoint, flags, service="echo"):
        self.command = [program, "-b", endpoint, "--echo", *flags, service]

    def __enter__(self):
        self.process = subprocess.Popen(self.command, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return self

    def __exit__(self, *exc):
        self.process.terminate()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        return False


def call(program, endpoint, flags, service, *body, timeout_ms=5000):
    """zd-call; (exit code, stdout lines)."""
    done = subprocess.run([program, "-b", endpoint, "--timeout", str(timeout_ms), *flags, service,
                           *body], stdin=subprocess.DEVNULL, capture_output=True, timeout=20)
    return done.returncode, done.stdout.decode(errors="replace").splitlines()


def mdp_reply(sock, service, *body, timeout_ms=5000):
    """A zguide-style 0.2 request on a DEALER; the reply's body frames, or None."""
    client_request_v02(sock, service, *body)
    reply = receive(sock, timeout_ms)
    if reply is None:
        return None
    check(reply[:3] == [C02, C02_FINAL, service.encode()], f"bad reply header: {reply!r}")
    return reply[3:]


def wait_service(context, keys, endpoint, service, name="client"):
    """Asks the broker at endpoint mmi.service (as an allowed CURVE client) until it knows a
    worker, here or at a peer, for service."""
    deadline = time.monotonic() + 10
    while True:
        sock, monitor = monitored(context, zmq.DEALER, keys, name)
        sock.connect(endpoint)
        answer = mdp_reply(sock, "mmi.service", service)
        close_monitored((sock, monitor))
        if answer == [b"200"]:
            return
        check(time.monotonic() < deadline, f"{endpoint} knows no {service} worker after 10 s: "
              f"{answer!r}")
        time.sleep(0.02)


def round_trip(context, keys, programs):
    """zd-worker and zd-call with certificates through a CURVE broker; pyzmq clients with an
    allowed key, an unknown key and none."""
    with Device(programs["zd-broker"], "-e", TCP, *server_flags(keys, "hub")) as broker:
        endpoint = broker.address("endpoint")
        with Worker(programs["zd-worker"], endpoint, client_flags(keys, "client")):
            code, lines = call(programs["zd-call"], endpoint, client_flags(keys, "client"),
                               "echo", "hello", "curve")
            check(code == 0 and lines == ["hello", "curve"],
                  f"zd-call through a CURVE broker: exit {code}, {lines!r}")

            sock, monitor = monitored(context, zmq.DEALER, keys, "client")
            sock.connect(endpoint)
            check(handshake_outcome(monitor) == zmq.EVENT_HANDSHAKE_SUCCEEDED,
                  "an allowed MDP client was refused")
            check(mdp_reply(sock, "echo", "hi") == [b"hi"], "the allowed MDP client got no echo")
            close_monitored((sock, monitor))

            for name in ("stranger", None):  # an unknown key; plain text
                sock, monitor = monitored(context, zmq.DEALER, keys, name)
                sock.connect(endpoint)
                check(handshake_outcome(monitor) != zmq.EVENT_HANDSHAKE_SUCCEEDED,
                      f"an MDP client that must be refused ({name or 'plain text'}) got in")
                try:  # no connection may be left to queue it on: never block
                    sock.send_multipart([C02, C02_REQUEST, b"echo", b"let me in"], zmq.NOBLOCK)
                except zmq.Again:
                    pass
                check(receive(sock, NOTHING_MORE_MS) is None,
                      f"a refused MDP client ({name or 'plain text'}) got a reply")
                close_monitored((sock, monitor))

            relay = Relay(endpoint)
            sock, monitor = monitored(context, zmq.DEALER, keys, "client")
            sock.connect(relay.address)
            check(handshake_outcome(monitor) == zmq.EVENT_HANDSHAKE_SUCCEEDED,
                  "the allowed MDP client was refused through the relay")
            check(mdp_reply(sock, "echo", SECRET.decode()) == [SECRET],
                  "no echo through the relay")
            close_monitored((sock, monitor))
            wire = relay.bytes_seen()
            check(b"CURVE" in wire and SECRET not in wire and b"MDPC02" not in wire,
                  "the MDP request crossed the wire in plain text")

            code, lines = call(programs["zd-call"], endpoint, client_flags(keys, "stranger"),
                               "echo", "hello", timeout_ms=300)
            check(code == 3, f"zd-call with an unknown key: exit {code}, want 3 (no reply)")
        # A worker with an unknown key is refused: it serves nothing, and keeps trying.
        with Worker(programs["zd-worker"], endpoint, client_flags(keys, "stranger"),
                    "hidden") as stranger:
            code, lines = call(programs["zd-call"], endpoint, client_flags(keys, "client"),
                               "hidden", "anyone?", timeout_ms=500)
            check(code == 3, f"a call for a refused worker's service: exit {code}, {lines!r}")
            check(stranger.process.poll() is None, "the refused zd-worker exited "
                  f"({stranger.process.returncode}); it should keep retrying")
        check(broker.stop() == 0, "zd-broker did not exit 0")
    print("zd-broker + zd-worker + zd-call over CURVE: a round trip; an MDP client with an "
          "unknown key or plain text is refused and gets nothing; no plaintext on the wire; a "
          "worker with an unknown key serves nothing")


def federation(context, keys, programs):
    """Hub B (on ipc) names hub A (on tcp) with --peer over CURVE: its link is a CURVE client
    of A, let in because B's public certificate is in A's allow directory. A call on A reaches
    B's worker, which is a CURVE client of B over ipc."""
    allow_a = os.path.join(keys.directory, "allow-a")
    os.mkdir(allow_a)
    shutil.copy(keys.path("client"), allow_a)
    shutil.copy(keys.path("hub2"), allow_a)
    broker = programs["zd-broker"]
    with Device(broker, "-e", TCP, "--name", "a", *server_flags(keys, "hub", allow_a)) as hub_a:
        a = hub_a.address("endpoint")
        # Hub B on ipc: CURVE holds there too (only inproc has no handshake).
        hub_b_endpoint = "@ipc://" + os.path.join(keys.directory, "hub-b")
        with Device(broker, "-e", hub_b_endpoint, "--name", "b", "--peer", ">" + a,
                    "--peer-curve-server-key", keys.path("hub"),
                    *server_flags(keys, "hub2")) as hub_b:
            b = hub_b.address("endpoint")
            plain, monitor = monitored(context, zmq.DEALER)
            plain.connect(b)
            check(handshake_outcome(monitor) != zmq.EVENT_HANDSHAKE_SUCCEEDED,
                  "a plain-text client got in on hub B's ipc endpoint")
            close_monitored((plain, monitor))
            with Worker(programs["zd-worker"], b, client_flags(keys, "client", "hub2"), "remote"):
                wait_service(context, keys, a, "remote")
                code, lines = call(programs["zd-call"], a, client_flags(keys, "client"),
                                   "remote", "across")
                check(code == 0 and lines == ["across"],
                      f"a call on hub A for hub B's worker: exit {code}, {lines!r}")
            check(hub_b.stop() == 0, "hub B did not exit 0")
        check(hub_a.stop() == 0, "hub A did not exit 0")
    print("two zd-brokers federated over CURVE (--peer, --peer-curve-server-key) serve a call "
          "across")


def titanic(context, keys, programs, directory):
    """zd-titanic as a CURVE client of the broker: a request stored and its reply kept."""
    shutil.copy(keys.path("titanic"), keys.allow)
    with Device(programs["zd-broker"], "-e", TCP, *server_flags(keys, "hub")) as broker:
        endpoint = broker.address("endpoint")
        client = client_flags(keys, "client")
        with Worker(programs["zd-worker"], endpoint, client), \
                Device(programs["zd-titanic"], "--dir", os.path.join(directory, "journal"),
                       "--broker", endpoint, *client_flags(keys, "titanic")) as device:
            wait_service(context, keys, endpoint, "titanic.request")
            code, lines = call(programs["zd-call"], endpoint, client, "titanic.request", "echo",
                               "durable")
            check(code == 0 and len(lines) == 2 and lines[0] == "200",
                  f"titanic.request over CURVE: exit {code}, {lines!r}")
            uuid = lines[1]
            deadline = time.monotonic() + 10
            while True:
                code, lines = call(programs["zd-call"], endpoint, client, "titanic.reply", uuid)
                if code == 0:
                    break
                check(code == 4 and lines[:1] == ["300"], f"titanic.reply: exit {code}, {lines!r}")
                check(time.monotonic() < deadline, "no Titanic reply within 10 s")
                time.sleep(0.05)
            check(lines == ["200", "durable"], f"titanic.reply: {lines!r}")
            check(device.stop() == 0, "zd-titanic did not exit 0")
    print("zd-titanic over CURVE: a request stored, dispatched and its reply kept")


def fail_closed(keys, programs, directory):
    hub = keys.path("hub_secret")
    missing = keys.path("missing_secret")
    loose = keys.path("loose_secret")
    shutil.copy(hub, loose)
    os.chmod(loose, 0o640)

    broker = programs["zd-broker"]
    base = ["-e", TCP]
    exits_2(broker, base + ["--curve-cert", hub], "no allow-list", "zd-broker: no allow-list")
    exits_2(broker, base + ["--curve-allow", keys.allow], "no certificate of its own",
            "zd-broker: an allow-list without a certificate")
    exits_2(broker, base + ["--curve-cert", missing, "--curve-allow", keys.allow],
            "missing_secret", "zd-broker: a missing certificate")
    exits_2(broker, base + ["--curve-cert", loose, "--curve-allow", keys.allow], "chmod 600",
            "zd-broker: a secret certificate readable by its group")
    exits_2(broker, base + ["--curve-cert", hub, "--curve-allow", keys.allow, "--peer",
                            ">tcp://127.0.0.1:1"], "--peer-curve-server-key",
            "zd-broker: a CURVE --peer link without the peer's key")
    exits_2(broker, base + ["--peer", ">tcp://127.0.0.1:1", "--peer-curve-server-key",
                            keys.path("hub")], "no certificate of its own",
            "zd-broker: --peer-curve-server-key without a certificate")
    exits_2(broker, base + ["--curve-cert", hub, "--curve-allow", keys.allow, "--peer",
                            ">tcp://127.0.0.1:1", "--peer-curve-server-key", keys.path("nobody")],
            "nobody", "zd-broker: a missing peer server key")
    exits_2(broker, base + server_flags(keys, "hub") + ["--peer-curve-allow", keys.allow],
            "--peer link only connects", "zd-broker: --peer-curve-allow (never asked)")

    client = keys.path("client_secret")
    clients = {
        "zd-worker": ["-b", "tcp://127.0.0.1:1", "--echo"],
        "zd-call": ["-b", "tcp://127.0.0.1:1"],
        "zd-titanic": ["--dir", os.path.join(directory, "never"), "--broker",
                       "tcp://127.0.0.1:1"],
    }
    for name, args in clients.items():
        program = programs[name]
        tail = {"zd-worker": ["echo"], "zd-call": ["echo", "hi"]}.get(name, [])
        exits_2(program, args + ["--curve-cert", client] + tail, "--curve-server-key",
                f"{name}: CURVE without the broker's key")
        exits_2(program, args + ["--curve-server-key", keys.path("hub")] + tail,
                "no certificate of its own", f"{name}: a server key without a certificate")
        exits_2(program, args + ["--curve-cert", missing, "--curve-server-key",
                                 keys.path("hub")] + tail, "missing_secret",
                f"{name}: a missing certificate")
        exits_2(program, args + ["--curve-cert", client, "--curve-server-key",
                                 keys.path("nobody")] + tail, "nobody",
                f"{name}: a missing server key")
        exits_2(program, args + ["--curve-cert", loose, "--curve-server-key",
                                 keys.path("hub")] + tail, "chmod 600",
                f"{name}: a secret certificate readable by its group")
    exits_2(programs["zd-titanic"], clients["zd-titanic"] + client_flags(keys, "client") +
            ["--control", TCP], "no allow-list", "zd-titanic: a CURVE control without allow-list")
    print("zd-broker, zd-worker, zd-call, zd-titanic: every fail-closed case exits 2 naming "
          "the problem")


def test(context, keygen, broker, worker, caller, titanic_program):
    programs = {"zd-broker": broker, "zd-worker": worker, "zd-call": caller,
                "zd-titanic": titanic_program}
    with tempfile.TemporaryDirectory() as directory:
        keys = Keys(keygen, directory)
        for name in ("hub2", "titanic"):
            keys.make(name)
        fail_closed(keys, programs, directory)
        round_trip(context, keys, programs)
        federation(context, keys, programs)
        titanic(context, keys, programs, directory)


if __name__ == "__main__":
    zdinterop.TEST_DEADLINE_S = 60
    sys.exit(run(test))

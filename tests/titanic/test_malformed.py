"""Malformed Titanic traffic is refused without harm.

Part 1, through a real broker: titanic.request without a body, with an empty, over-long or
titanic.* service; titanic.reply and titanic.close with a bad UUID or the wrong number of
frames: each answered 400 (9/TSP's "do not retry"), counted, and the device goes on serving.

Part 2, a fake broker (a pyzmq ROUTER speaking 18/MDP's worker side) sends zd-titanic's
worker connections garbage: wrong headers, unknown commands, requests without the empty
delimiter, single frames. zd-titanic drops them, keeps answering valid requests, heartbeats,
reconnects after a DISCONNECT and when the broker falls silent.

Part 3: beyond --max-pending stored requests without a reply, titanic.request answers 500.

    TitanicClient --> zd-broker <-- zd-titanic          fake ROUTER <-- zd-titanic

Usage: test_malformed.py ZD_BROKER ZD_TITANIC ZD_WORKER
"""

import tempfile
import time

import zmq

from titanictest import (EchoWorker, Titanic, TitanicClient, check, recv_multipart, run,
                         start_broker)

W02 = b"MDPW02"
READY, REQUEST, FINAL, HEARTBEAT, DISCONNECT = b"\x01", b"\x02", b"\x04", b"\x05", b"\x06"


def through_broker(context, broker_path, titanic_path, worker_path, directory):
    with start_broker(broker_path) as broker, \
            Titanic(titanic_path, directory, broker.endpoint) as titanic, \
            EchoWorker(worker_path, context, broker):
        client = TitanicClient(context, broker.endpoint)
        bad = [
            ("titanic.request", [b"echo"]),                  # no body frame
            ("titanic.request", [b"", b"body"]),             # empty service
            ("titanic.request", [b"s" * 256, b"body"]),      # service too long
            ("titanic.request", [b"titanic.reply", b"x"]),   # Titanic asking itself
            ("titanic.reply", [b"not-a-uuid"]),
            ("titanic.reply", [b"0123456789abcdef0123456789abcdeg"]),  # 'g'
            ("titanic.reply", [b"0123456789abcdef0123456789abcdef", b"extra"]),
            ("titanic.close", [b"0123456789abcdef"]),         # too short
            ("titanic.close", [b"0123456789abcdef0123456789abcdef", b"extra"]),
        ]
        for service, body in bad:
            reply = client.call(service, *body)
            check(reply == [b"400"], f"{service} {body!r}: expected 400, got {reply!r}")
        uuid = client.request("echo", "still fine")
        check(client.wait_reply(uuid) == [b"still fine"], "the device must go on serving")
        stats = titanic.stats()["titanic"]
        check(stats["malformed"] == len(bad), f"malformed should be {len(bad)}: {stats}")
        check(stats["stored"] == 1, f"only the valid request may be stored: {stats}")
        client.close()


def max_pending(context, broker_path, titanic_path, directory):
    """--max-pending bounds the stored requests without a reply: beyond, 500 (try later)."""
    with start_broker(broker_path) as broker, \
            Titanic(titanic_path, directory, broker.endpoint, "--max-pending", "2") as titanic:
        client = TitanicClient(context, broker.endpoint)
        first = client.request("nobody", "1")
        client.request("nobody", "2")
        check(client.call("titanic.request", "nobody", "3") == [b"500"],
              "a request beyond --max-pending must be answered 500")
        check(client.call("titanic.close", first) == [b"200"], "close must answer 200")
        client.request("nobody", "3 again")  # room again once one is closed
        stats = titanic.stats()["titanic"]
        check(stats["refused"] == 1 and stats["pending"] == 2, f"odd counters: {stats}")
        client.close()


class FakeBroker:
    """A ROUTER that takes zd-titanic's READYs and sends whatever the test wants."""

    def __init__(self, context):
        self.socket = context.socket(zmq.ROUTER)
        self.socket.setsockopt(zmq.LINGER, 0)
        self.socket.bind("tcp://127.0.0.1:*")
        self.endpoint = self.socket.getsockopt_string(zmq.LAST_ENDPOINT)
        self.workers = {}  # service -> routing id of the latest READY

    def receive(self, timeout_ms, what):
        frames = recv_multipart(self.socket, timeout_ms, what)
        check(len(frames) >= 3 and frames[1] == W02, f"not an MDP/0.2 worker message: {frames!r}")
        if frames[2] == READY:
            check(len(frames) == 4, f"READY takes one service frame: {frames!r}")
            self.workers[frames[3]] = frames[0]
        return frames

    def wait_for(self, predicate, what, timeout_s=5):
        deadline = time.monotonic() + timeout_s
        while True:
            left = int((deadline - time.monotonic()) * 1000)
            check(left > 0, f"timed out waiting for {what}")
            frames = self.receive(left, what)
            if predicate(frames):
                return frames

    def close(self):
        self.socket.close(linger=0)


def fake_broker(context, titanic_path, directory):
    broker = FakeBroker(context)
    with Titanic(titanic_path, directory, broker.endpoint, "--request-workers", "2",
                 "--reconnect-delay", "50", heartbeat_ms=200) as titanic:
        while len(broker.workers) < 3:
            broker.receive(5000, "READY from each titanic service")
        check(set(broker.workers) == {b"titanic.request", b"titanic.reply", b"titanic.close"},
              f"unexpected services: {list(broker.workers)}")
        close_id = broker.workers[b"titanic.close"]
        garbage = [
            [b"MDPW01", REQUEST, b"client", b"", b"x"],       # 0.1 header
            [W02],                                            # no command
            [W02, b"\x09"],                                   # unknown command
            [W02, b"\x02\x02"],                               # two-byte command
            [W02, REQUEST, b"client"],                        # no delimiter, no body
            [W02, REQUEST, b"client", b"not-empty", b"x"],    # bad delimiter
            [W02, REQUEST, b"client", b""],                   # no body
            [W02, HEARTBEAT, b"extra"],                       # heartbeat with a frame
            [b"\xff" * 1000],
            [b""],
        ]
        for frames in garbage:
            broker.socket.send_multipart([close_id, *frames])
        uuid = b"0123456789abcdef0123456789abcdef"
        broker.socket.send_multipart([close_id, W02, REQUEST, b"client-1", b"", uuid])
        answer = broker.wait_for(lambda f: f[2] == FINAL, "the answer to a valid close")
        check(answer == [close_id, W02, FINAL, b"client-1", b"", b"200"],
              f"bad answer to titanic.close: {answer!r}")
        stats = titanic.stats()["titanic"]
        check(stats["broker_malformed"] == len(garbage),
              f"expected {len(garbage)} malformed broker messages: {stats}")

        # Heartbeats go out while the broker stays quiet...
        broker.wait_for(lambda f: f[0] == close_id and f[2] == HEARTBEAT, "a heartbeat", 2)
        # ...a DISCONNECT makes that connection come back with a new READY...
        broker.socket.send_multipart([close_id, W02, DISCONNECT])
        broker.wait_for(lambda f: f[2] == READY and f[3] == b"titanic.close" and f[0] != close_id,
                        "READY again after DISCONNECT")
        # ...and a broker silent for liveness x interval (3 x 200 ms) is left for a new socket.
        reply_id = broker.workers[b"titanic.reply"]
        broker.wait_for(lambda f: f[2] == READY and f[3] == b"titanic.reply" and f[0] != reply_id,
                        "READY on a new socket after the broker fell silent", 5)
        check(titanic.process.poll() is None, "zd-titanic must survive all of it")
        check(titanic.stop() == 0, "zd-titanic must exit 0 on SIGTERM")
    broker.close()


def test(context, broker_path, titanic_path, worker_path):
    with tempfile.TemporaryDirectory(prefix="zd-titanic-") as directory:
        through_broker(context, broker_path, titanic_path, worker_path, directory + "/a")
        fake_broker(context, titanic_path, directory + "/b")
        max_pending(context, broker_path, titanic_path, directory + "/c")


if __name__ == "__main__":
    raise SystemExit(run(test))

"""kill -9 of zd-titanic at seeded random moments during a stream of requests: every request
answered 200 gets its reply in the end, and every reply is whole and its own (the echo body
carries the request's id and a payload of seeded random size).

    8 lazy-pirate clients (MDP/0.1 on DEALER, REQ-style frames) --> zd-broker
        <-- zd-titanic on DIR, killed with SIGKILL and restarted on the same DIR
        <-- zd-worker --echo -c 2

A client whose request is not answered within its timeout sends it again on a new socket,
as the zguide's mdcliapi does; a request may then be stored twice (two UUIDs), and each must
get its reply. After the last kill every recovered request must have been dispatched.

Usage: test_crash.py ZD_BROKER ZD_TITANIC ZD_WORKER [REQUESTS [KILLS [SEED]]]
"""

import random
import tempfile
import time

import zmq

from titanictest import (C01, UUID, EchoWorker, Titanic, TitanicClient, TestFailure, b, check,
                         new_socket, run, start_broker)

CLIENTS = 8
TIMEOUT_S = 1.5


class PirateClient:
    """One request in flight; resent on a fresh socket after TIMEOUT_S."""

    def __init__(self, context, endpoint):
        self.context = context
        self.endpoint = endpoint
        self.socket = None
        self.request = None  # (id, body frames)
        self.sent_at = 0.0
        self.resends = 0

    def send(self, request=None):
        if request is not None:
            self.request = request
        if self.socket is not None:
            self.socket.close(linger=0)
        self.socket = new_socket(self.context, zmq.DEALER, self.endpoint)
        self.socket.send_multipart([b"", C01, b"titanic.request", b"echo", *self.request[1]])
        self.sent_at = time.monotonic()


def test(context, broker_path, titanic_path, worker_path, requests="2000", kills="10", seed="1"):
    requests, kills, rng = int(requests), int(kills), random.Random(int(seed))
    bodies = {i: [b(f"id-{i}"), rng.randbytes(rng.randrange(0, 20000))] for i in range(requests)}
    answered = {}  # id -> set of UUIDs answered 200
    with tempfile.TemporaryDirectory(prefix="zd-titanic-") as directory, \
            start_broker(broker_path) as broker, \
            EchoWorker(worker_path, context, broker, concurrency=2):
        titanic = Titanic(titanic_path, directory, broker.endpoint).__enter__()
        try:
            clients = [PirateClient(context, broker.endpoint) for _ in range(CLIENTS)]
            next_id = 0
            poller = zmq.Poller()
            for client in clients:
                if next_id < requests:
                    client.send((next_id, bodies[next_id]))
                    next_id += 1
            killed = 0
            # Kill when this many requests have been answered: seeded points spread over the
            # stream, whatever the machine's speed; 8 requests are in flight at each.
            kill_points = sorted(rng.sample(range(requests // 20, requests - requests // 20),
                                            kills))
            deadline = time.monotonic() + 40
            while len(answered) < requests:
                check(time.monotonic() < deadline,
                      f"only {len(answered)} of {requests} requests answered in 40 s")
                if killed < kills and len(answered) >= kill_points[killed]:
                    titanic.process.kill()  # SIGKILL: no chance to finish anything
                    titanic.process.wait()
                    titanic.kill()
                    titanic = Titanic(titanic_path, directory, broker.endpoint).__enter__()
                    killed += 1
                poller = zmq.Poller()
                for client in clients:
                    if client.request is not None:
                        poller.register(client.socket, zmq.POLLIN)
                for socket, _ in poller.poll(50):
                    client = next(c for c in clients if c.socket is socket)
                    reply = socket.recv_multipart()
                    check(len(reply) == 5 and reply[:3] == [b"", C01, b"titanic.request"],
                          f"bad reply to titanic.request: {reply!r}")
                    check(reply[3] == b"200" and UUID.match(reply[4]),
                          f"expected 200 + UUID, got {reply[3:]!r}")
                    answered.setdefault(client.request[0], set()).add(reply[4])
                    client.request = None
                    if next_id < requests:
                        client.send((next_id, bodies[next_id]))
                        next_id += 1
                now = time.monotonic()
                for client in clients:
                    if client.request is not None and now - client.sent_at > TIMEOUT_S:
                        client.resends += 1
                        client.send()
            check(killed == kills, f"only {killed} of {kills} kills happened")

            # Every acknowledged request has its own, whole reply.
            reader = TitanicClient(context, broker.endpoint)
            uuids = 0
            for i, its_uuids in answered.items():
                for uuid in its_uuids:
                    uuids += 1
                    reply = reader.wait_reply(uuid, timeout_s=15)
                    if reply != bodies[i]:
                        raise TestFailure(f"request {i} ({uuid!r}): reply {reply[:1]!r} "
                                          f"({sum(map(len, reply))} bytes) is not its body "
                                          f"({sum(map(len, bodies[i]))} bytes)")
            # Requests stored but never answered (killed before the answer) are dispatched too.
            titanic.wait_stats(lambda s: s["titanic"]["pending"] == 0,
                               "every recovered request dispatched and replied", timeout_s=15)
            reader.close()
            resends = sum(c.resends for c in clients)
            print(f"{requests} requests, {uuids} UUIDs, {killed} kills, {resends} resends")
        finally:
            titanic.kill()


if __name__ == "__main__":
    raise SystemExit(run(test, deadline_s=100))

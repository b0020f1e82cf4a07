"""Many clients x many workers x several services through one zd-broker; every reply must be
exactly the answer to its own request, from a worker of the right service.

    8 clients (4 REQ 0.1, 4 DEALER 0.2 with 10 in flight)       3 services x 3 workers
        client-i --request(service, "i:n")-->  [zd-broker]  --> worker (service, k), 0.1 or 0.2
                 <--reply(service, "service:i:n")--          <--  answers "service:" + body

Each worker echoes its service name before the body, so a reply delivered to the wrong client
or dispatched to the wrong service's worker is caught, not just a missing one.

Usage: test_load.py PATH/TO/zd-broker
"""

import time

import zmq

from mdptest import (C01, C02, C02_FINAL, Broker, Worker, check, client_request_v01,
                     client_request_v02, new_socket, run)

SERVICES = [b"alpha", b"beta", b"gamma"]
WORKERS_PER_SERVICE = 3
REQ_CLIENTS = 4
DEALER_CLIENTS = 4
REQUESTS_PER_CLIENT = 60
IN_FLIGHT = 10  # per DEALER client; far below the high-water mark
HEARTBEAT_S = 0.3


class Client:
    def __init__(self, context, endpoint, index, version):
        self.index = index
        self.version = version
        kind = zmq.REQ if version == 1 else zmq.DEALER
        self.socket = new_socket(context, kind, endpoint)
        self.sent = 0
        self.outstanding = {}  # body -> service
        self.received = 0

    def body(self, number):
        return f"{self.index}:{number}".encode()

    def send_more(self):
        window = 1 if self.version == 1 else IN_FLIGHT
        while self.sent < REQUESTS_PER_CLIENT and len(self.outstanding) < window:
            service = SERVICES[(self.index + self.sent) % len(SERVICES)]
            body = self.body(self.sent)
            if self.version == 1:
                client_request_v01(self.socket, service, body)
            else:
                client_request_v02(self.socket, service, body)
            self.outstanding[body] = service
            self.sent += 1

    def on_reply(self, frames):
        if self.version == 1:
            check(len(frames) == 3 and frames[0] == C01, f"bad 0.1 reply {frames!r}")
            service, answer = frames[1], frames[2]
        else:
            check(len(frames) == 4 and frames[:2] == [C02, C02_FINAL], f"bad 0.2 reply {frames!r}")
            service, answer = frames[2], frames[3]
        prefix, _, body = answer.partition(b":")
        check(body in self.outstanding,
              f"client {self.index} got a reply to a request it has no longer/never sent: {frames!r}")
        expected = self.outstanding.pop(body)
        check(service == expected and prefix == expected,
              f"client {self.index}: request {body!r} for {expected!r} answered as "
              f"{service!r}/{prefix!r}")
        self.received += 1

    def done(self):
        return self.received == REQUESTS_PER_CLIENT


def test(context, broker_path):
    with Broker(broker_path, "--heartbeat-interval", "1000") as broker:
        workers = []
        for service in SERVICES:
            for k in range(WORKERS_PER_SERVICE):
                worker = Worker(context, broker.endpoint, service, version=1 + k % 2)
                worker.ready()
                workers.append(worker)
        broker.wait_stats(lambda s: s["workers"] == len(workers), "every worker's READY")

        clients = [Client(context, broker.endpoint, i, 1) for i in range(REQ_CLIENTS)]
        clients += [Client(context, broker.endpoint, REQ_CLIENTS + i, 2)
                    for i in range(DEALER_CLIENTS)]
        poller = zmq.Poller()
        by_socket = {}
        for peer in [*workers, *clients]:
            poller.register(peer.socket, zmq.POLLIN)
            by_socket[peer.socket] = peer
        for client in clients:
            client.send_more()

        started = time.monotonic()
        while not all(client.done() for client in clients):
            ready = dict(poller.poll(5000))
            check(ready, "nothing moved for 5 s; outstanding: " +
                  str({c.index: list(c.outstanding) for c in clients if c.outstanding}))
            for socket in ready:
                peer = by_socket[socket]
                if isinstance(peer, Worker):
                    request = peer.try_request()
                    if request is not None:
                        address, body = request
                        check(len(body) == 1, f"worker got {body!r}")
                        peer.reply(address, peer.service + b":" + body[0])
                else:
                    peer.on_reply(socket.recv_multipart())
                    peer.send_more()
            for worker in workers:
                worker.heartbeat_if_due(HEARTBEAT_S)
        elapsed = time.monotonic() - started

        total = (REQ_CLIENTS + DEALER_CLIENTS) * REQUESTS_PER_CLIENT
        stats = broker.broker_stats()
        check(stats["requests"] == total and stats["replies"] == total, f"counts: {stats}")
        for name in ("protocol_errors", "unroutable_replies", "rejected", "expired", "retried",
                     "failed", "disconnects_sent", "workers_expired"):
            check(stats[name] == 0, f"{name} is {stats[name]}: {stats}")
        served = sum(stats["services"][s.decode()]["served"] for s in SERVICES)
        check(served == total, f"served {served} of {total}")
        idle = [w for w in workers if w.served == 0]
        check(not idle, f"{len(idle)} workers never got a request (LRU dispatch should spread)")
        print(f"{total} requests through {len(workers)} workers in {elapsed:.2f} s")
        for peer in [*workers, *clients]:
            peer.socket.close(linger=0)


if __name__ == "__main__":
    raise SystemExit(run(test))

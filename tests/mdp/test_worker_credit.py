"""zd-broker --worker-credit 3 with real processes and plain pyzmq peers.

1. A 0.2 worker (written here from the RFC table) holds three requests at once and no more:
   the fourth and fifth wait in the broker's queue until it answers; replies it sends out of
   order reach the right clients.
2. A worker process in "hold" mode takes three requests and never answers; it is killed with
   SIGKILL, and every request it held is answered by a rescuer, each exactly once.
3. Many requests through two echo workers with credit: every client gets exactly its answers.

Usage: test_worker_credit.py PATH/TO/zd-broker
"""

import os
import subprocess
import sys

import zmq

from mdptest import (C02, C02_FINAL, Broker, TestFailure, Worker, check, client_request_v02,
                     new_socket, recv_multipart, run)

WORKER_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mdp_worker.py")
CREDIT = 3


def start_worker(endpoint, mode, name):
    return subprocess.Popen([sys.executable, WORKER_SCRIPT, endpoint, "echo", mode, name, "200"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)


def receive_finals(client, count, what):
    """count FINAL replies from a 0.2 DEALER client: their bodies, in arrival order."""
    bodies = []
    for index in range(count):
        reply = recv_multipart(client, 5000, f"{what} ({index + 1} of {count})")
        check(reply[:3] == [C02, C02_FINAL, b"echo"] and len(reply) == 4, f"got {reply!r}")
        bodies.append(reply[3])
    return bodies


def holds_three_and_no_more(context, broker):
    worker = Worker(context, broker.endpoint, "echo", version=2)
    worker.ready()
    broker.wait_stats(lambda s: s["workers"] == 1, "the worker's READY")
    first = new_socket(context, zmq.DEALER, broker.endpoint)
    second = new_socket(context, zmq.DEALER, broker.endpoint)
    for index in range(5):  # one at a time: two sockets' messages have no order between them
        client_request_v02(first if index % 2 == 0 else second, "echo", f"r{index}")
        broker.wait_stats(lambda s: s["requests"] == index + 1, f"request r{index}")
    stats = broker.wait_stats(
        lambda s: s["services"].get("echo", {}).get("queued") == 2, "two requests queued")
    check(stats["services"]["echo"]["in_flight"] == CREDIT, f"in flight: {stats}")

    held = [worker.receive_request(2000) for _ in range(CREDIT)]
    check([body for _, body in held] == [[b"r0"], [b"r1"], [b"r2"]], f"held {held!r}")
    check(not worker.socket.poll(0), "a fourth request reached the worker")

    # Answer the second one first: it belongs to the other client, which gets it.
    (address0, body0), (address1, body1), (address2, body2) = held
    worker.reply(address1, b"R" + body1[0])
    check(receive_finals(second, 1, "r1's reply") == [b"Rr1"], "second client's reply")
    extra = worker.receive_request(2000)  # credit came back: r3 arrives
    check(extra[1] == [b"r3"], f"after one reply the worker got {extra!r}")
    for address, body in [(address0, body0), (address2, body2), extra]:
        worker.reply(address, b"R" + body[0])
    last = worker.receive_request(2000)
    check(last[1] == [b"r4"], f"the last request: {last!r}")
    worker.reply(last[0], b"R" + last[1][0])
    check(receive_finals(first, 3, "the first client's replies") == [b"Rr0", b"Rr2", b"Rr4"],
          "first client's replies")
    check(receive_finals(second, 1, "r3's reply") == [b"Rr3"], "second client's last reply")
    stats = broker.wait_stats(lambda s: s["replies"] == 5, "five replies")
    check(stats["services"]["echo"]["in_flight"] == 0, f"in flight after: {stats}")
    worker.disconnect()
    worker.close()
    broker.wait_stats(lambda s: s["workers"] == 0, "the worker's DISCONNECT")
    first.close(linger=0)
    second.close(linger=0)


def killed_holder_gives_everything_back(context, broker):
    before = broker.broker_stats()
    holder = start_worker(broker.endpoint, "hold", "holder")
    try:
        broker.wait_stats(lambda s: s["workers"] == 1, "the holder's READY")
        client = new_socket(context, zmq.DEALER, broker.endpoint)
        for index in range(CREDIT):
            client_request_v02(client, "echo", f"precious{index}")
        broker.wait_stats(lambda s: s["services"]["echo"]["in_flight"] == CREDIT,
                          "three requests at the holder")
        holder.kill()
        holder.wait(5)
        broker.wait_stats(lambda s: s["workers"] == 0, "the holder's connection closing")
        rescuer = start_worker(broker.endpoint, "echo", "rescuer")
        try:
            bodies = receive_finals(client, CREDIT, "answers after the holder was killed")
            check(sorted(bodies) == [f"rescuer:precious{i}".encode() for i in range(CREDIT)],
                  f"answers: {bodies!r}")
            check(not client.poll(200), "an answer arrived twice")
            stats = broker.broker_stats()
            check(stats["retried"] - before["retried"] == CREDIT, f"retried: {stats}")
            check(stats["failed"] == 0, f"failed: {stats}")
        finally:
            rescuer.kill()
            rescuer.wait(5)
        client.close(linger=0)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait(5)


def many_clients_exact_answers(context, broker):
    workers = [start_worker(broker.endpoint, "echo", f"w{i}") for i in range(2)]
    try:
        broker.wait_stats(lambda s: s["workers"] == 2, "two echo workers")
        clients = [new_socket(context, zmq.DEALER, broker.endpoint) for _ in range(4)]
        per_client = 200
        for number, client in enumerate(clients):
            for index in range(per_client):
                client_request_v02(client, "echo", f"c{number}-{index}")
        for number, client in enumerate(clients):
            bodies = receive_finals(client, per_client, f"client {number}'s answers")
            payloads = sorted(body.split(b":", 1)[1] for body in bodies)
            expected = sorted(f"c{number}-{index}".encode() for index in range(per_client))
            check(payloads == expected, f"client {number} got other answers than it asked")
            check(not client.poll(0), f"client {number} got an extra answer")
        for client in clients:
            client.close(linger=0)
    finally:
        for worker in workers:
            worker.kill()
            worker.wait(5)


def test(context, broker_path):
    with Broker(broker_path, "--worker-credit", str(CREDIT), "--heartbeat-interval", "1000",
                "--heartbeat-liveness", "10") as broker:
        holds_three_and_no_more(context, broker)
        killed_holder_gives_everything_back(context, broker)
        many_clients_exact_answers(context, broker)
        if broker.broker_stats()["protocol_errors"]:
            raise TestFailure(f"protocol errors: {broker.broker_stats()}")


if __name__ == "__main__":
    raise SystemExit(run(test))

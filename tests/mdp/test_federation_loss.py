"""zd-broker --peer: a peer broker that goes silent or dies hands its requests back.

Three hubs, A naming B and C, heartbeats every 300 ms, liveness 3:
- silent: B's worker holds A's request when B is stopped (SIGSTOP: its connections stay
  open and say nothing, as across a link that drops packets). A notices within 3 heartbeat
  intervals, withdraws B's services, and the request goes back to the queue and is served by
  C; A's client gets its one reply. After SIGCONT, B's link and services come back without
  restarting anyone, and calls reach B again.
- dead: C's worker holds a request when C is killed (kill -9); A requeues it at once and B
  serves it.

Usage: test_federation_loss.py PATH/TO/zd-broker
"""

import os
import signal
import time

import zmq

from fedtest import (C02, C02_FINAL, AnsweringWorker, Hub, Worker, call, check,
                     client_request_v02, new_socket, recv_multipart, run, temporary_directory,
                     wait_until)

HEARTBEAT_MS = 300
LIVENESS = 3
TIMING = ["--heartbeat-interval", str(HEARTBEAT_MS), "--heartbeat-liveness", str(LIVENESS)]


def send_request(context, endpoint, service):
    client = new_socket(context, zmq.DEALER, endpoint)
    client_request_v02(client, service, "work")
    return client


def held_request(context, hub, service):
    """A worker on hub for service that takes one request and never answers it."""
    worker = Worker(context, hub.endpoint, service, version=2)
    worker.ready()
    return worker


def expect_reply(client, service, answer, what):
    reply = recv_multipart(client, 5000, what)
    check(reply == [C02, C02_FINAL, service.encode(), answer], f"{what}: got {reply!r}")


def silent_peer(context, a, b, c):
    holder = held_request(context, b, "job")
    wait_until(lambda: a.service_available(context, "job"), "a: job through b")
    client = send_request(context, a.endpoint, "job")
    holder.receive_request()  # b's worker holds it now
    backup = AnsweringWorker(context, c.endpoint, "job", b"served by c", HEARTBEAT_MS / 1000)
    try:
        a.wait_broker(lambda stats: len(stats["services"]["job"]["routes"]) == 2,
                      "a: routes to job through b and c")
        stopped = time.monotonic()
        os.kill(b.process.pid, signal.SIGSTOP)
        try:
            expect_reply(client, "job", b"served by c", "the request b held, served by c")
            took_ms = (time.monotonic() - stopped) * 1000
            print(f"b silent: its request served by c {took_ms:.0f} ms after b stopped "
                  f"(heartbeat {HEARTBEAT_MS} ms x liveness {LIVENESS})")
            # The timer checks four times per interval: one interval of slack, plus the
            # python worker's own turn.
            check(took_ms < (LIVENESS + 1) * HEARTBEAT_MS + 300,
                  f"b's loss took {took_ms:.0f} ms to notice")
            stats = a.broker()
            check(stats["retried"] == 1 and stats["links_lost"] >= 1,
                  f"a: retried {stats['retried']}, links_lost {stats['links_lost']}")
            check(all(route["peer"] != "b" for route in stats["services"]["job"]["routes"]),
                  f"a kept b's route: {stats['services']['job']['routes']}")
            check(not client.poll(200, zmq.POLLIN), "a second reply came for one request")
        finally:
            os.kill(b.process.pid, signal.SIGCONT)
        client.close(linger=0)
        holder.close()
        # b is back: its link comes up again and its services with it.
        on_b = AnsweringWorker(context, b.endpoint, "at-b", b"served by b", HEARTBEAT_MS / 1000)
        try:
            wait_until(lambda: a.service_available(context, "at-b"), "a: at-b after b's return",
                       timeout_s=10)
            check(call(context, a.endpoint, "at-b", "x") == [b"served by b"], "a: call at-b")
        finally:
            on_b.stop()
    finally:
        backup.stop()


def dead_peer(context, a, b, c):
    holder = held_request(context, c, "task")
    wait_until(lambda: a.service_available(context, "task"), "a: task through c")
    client = send_request(context, a.endpoint, "task")
    holder.receive_request()
    backup = AnsweringWorker(context, b.endpoint, "task", b"served by b", HEARTBEAT_MS / 1000)
    try:
        a.wait_broker(lambda stats: len(stats["services"]["task"]["routes"]) == 2,
                      "a: routes to task through b and c")
        c.process.kill()
        c.process.wait()
        expect_reply(client, "task", b"served by b", "the request c held, served by b")
        check(not client.poll(200, zmq.POLLIN), "a second reply came for one request")
    finally:
        backup.stop()
        client.close(linger=0)
        holder.close()


def test(context, broker):
    with temporary_directory() as directory:
        with Hub(broker, directory, "b", [], *TIMING) as b, \
                Hub(broker, directory, "c", [], *TIMING) as c, \
                Hub(broker, directory, "a", ["b", "c"], *TIMING) as a:
            a.wait_broker(lambda stats: stats["links_up"] == 2, "a: links to b and c up")
            silent_peer(context, a, b, c)
            dead_peer(context, a, b, c)
    print("federation loss: silent peer and dead peer: every request served once")


if __name__ == "__main__":
    raise SystemExit(run(test))

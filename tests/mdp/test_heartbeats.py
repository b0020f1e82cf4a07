"""Heartbeats with zd-broker --heartbeat-interval 100 --heartbeat-liveness 3: the broker
heartbeats quiet workers, and removes a worker that stays silent for 300 ms, idle or busy;
a busy one's request goes to another worker, and mmi.service stops answering 200 once the
last live worker is gone.

    silent   (0.2, never speaks after READY)        --> expires while idle
    lively   (0.1, heartbeats, then goes silent while holding a request) --> expires busy
    steady   (0.1, heartbeats)                      --> gets the busy one's request

Usage: test_heartbeats.py PATH/TO/zd-broker
"""

import time

import zmq

from mdptest import (C01, W01_REQUEST, W02_DISCONNECT, W02_HEARTBEAT, Broker, TestFailure, Worker, check,
                     client_request_v01, mmi, new_socket, recv_multipart, run)

BEAT_S = 0.04  # what our live workers send: well inside the broker's 100 ms


def keep_alive(broker, alive, predicate, what, timeout_s=5.0):
    """Heartbeats the alive workers (and reads what the broker sends them) until
    predicate(broker stats) holds. Returns (stats, {worker: messages received})."""
    deadline = time.monotonic() + timeout_s
    received = {worker: [] for worker in alive}
    while True:
        for worker in alive:
            worker.heartbeat_if_due(BEAT_S)
            while worker.socket.poll(0):
                received[worker].append(worker.parse(worker.socket.recv_multipart()))
        stats = broker.broker_stats()
        if predicate(stats):
            return stats, received
        if time.monotonic() > deadline:
            raise TestFailure(f"timed out after {timeout_s} s waiting for {what}: {stats}")
        time.sleep(0.01)


def test(context, broker_path):
    with Broker(broker_path, "--heartbeat-interval", "100", "--heartbeat-liveness", "3") as broker:
        silent = Worker(context, broker.endpoint, "hb", version=2)
        lively = Worker(context, broker.endpoint, "hb", version=1)
        silent.ready()
        lively.ready()
        registered_at = time.monotonic()
        keep_alive(broker, [lively], lambda s: s["workers"] == 2, "both READYs")

        # The silent worker hears the broker's HEARTBEATs ([MDPW02, 0x05]) but never answers.
        stats, _ = keep_alive(broker, [lively], lambda s: s["workers_expired"] == 1,
                              "the silent worker to expire")
        lived = time.monotonic() - registered_at
        check(stats["workers"] == 1, f"the heartbeating worker was removed too: {stats}")
        check(lived >= 0.25, f"the silent worker expired after {lived:.3f} s, before 3 x 100 ms")
        beats = []
        while silent.socket.poll(0):
            beats.append(silent.parse(silent.socket.recv_multipart()))
        # At least one: the broker's timer ticks once per interval, so a worker that joined
        # just after a tick hears two before it expires, one that joined just before, one.
        check(len(beats) >= 1 and all(beat == (W02_HEARTBEAT, []) for beat in beats),
              f"the silent worker got {beats!r}, expected HEARTBEATs")
        # Expired means forgotten: its late HEARTBEAT is answered with DISCONNECT.
        silent.heartbeat()
        command, rest = silent.receive(2000, "DISCONNECT for an expired worker")
        check((command, rest) == (W02_DISCONNECT, []), f"expected DISCONNECT, got {command!r}")

        check(mmi(context, broker, "mmi.service", "hb") == [b"200"], "hb should be available")

        # A busy worker that goes silent expires too; its request goes to steady.
        client = new_socket(context, zmq.REQ, broker.endpoint)
        client_request_v01(client, "hb", "job")
        _, received = keep_alive(broker, [lively],
                                 lambda s: s["services"]["hb"]["in_flight"] == 1,
                                 "the request to reach the lively worker")
        steady = Worker(context, broker.endpoint, "hb", version=1)
        steady.ready()
        # lively now stops heartbeating while it holds "job".
        _, received = keep_alive(broker, [steady], lambda s: s["workers_expired"] == 2,
                                 "the busy, silent worker to expire")
        requests = [rest for command, rest in received[steady] if command == W01_REQUEST]
        if requests:  # keep_alive read it already
            check(len(requests) == 1 and requests[0][1] == b"", f"steady got {requests!r}")
            address, body = requests[0][0], requests[0][2:]
        else:
            address, body = steady.receive_request(2000)
        check(body == [b"job"], f"steady got {body!r}")
        steady.reply(address, b"done")
        check(recv_multipart(client, 2000, "the reply") == [C01, b"hb", b"done"], "bad reply")
        stats = broker.broker_stats()
        check(stats["retried"] == 1, f"retried: {stats}")

        # The last live worker goes silent: mmi.service must say 404, not 200.
        keep_alive(broker, [], lambda s: s["workers"] == 0, "the last worker to expire")
        check(mmi(context, broker, "mmi.service", "hb") == [b"404"],
              "mmi.service answers 200 with no live worker")
        stats = broker.broker_stats()
        check(stats["workers_expired"] == 3 and stats["protocol_errors"] == 0, f"stats: {stats}")
        for socket in (client, silent.socket, lively.socket, steady.socket):
            socket.close(linger=0)


if __name__ == "__main__":
    raise SystemExit(run(test))

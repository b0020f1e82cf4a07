"""zd-broker stops cleanly while it still holds work: a request in flight at a worker and
others queued, then SIGTERM (or TERMINATE on the control socket). It must exit 0 within the
stop timeout, saying why; a sanitizer build (ZD_SANITIZE) also checks that tearing the broker
down with live requests touches no freed memory.

Usage: test_stop.py PATH/TO/zd-broker
"""

import zmq

from mdptest import (Broker, Worker, check, client_request_v01, client_request_v02,
                     new_socket, recv_multipart, run)


def load_with_work(context, broker):
    """A worker holding one request, two more queued for it, one for a service nobody serves."""
    worker = Worker(context, broker.endpoint, "busy", version=1)
    worker.ready()
    client = new_socket(context, zmq.DEALER, broker.endpoint)
    for index in range(3):
        client_request_v02(client, "busy", f"{index}")
    old = new_socket(context, zmq.REQ, broker.endpoint)
    client_request_v01(old, "nobody", "waiting")
    worker.receive_request()
    broker.wait_stats(lambda s: s["services"].get("busy", {}).get("queued") == 2 and
                      s["services"].get("nobody", {}).get("queued") == 1, "the work to settle")
    return [worker.socket, client, old]


def test(context, broker_path):
    with Broker(broker_path) as broker:
        sockets = load_with_work(context, broker)
        code = broker.stop()  # SIGTERM
        rest = broker.process.stderr.read().decode(errors="replace")
        check(code == 0, f"exit code {code} after SIGTERM with work in progress:\n{rest}")
        check("stopping on signal" in rest, f"no 'stopping on signal' in {rest!r}")
        for socket in sockets:
            socket.close(linger=0)

    with Broker(broker_path) as broker:
        sockets = load_with_work(context, broker)
        control = new_socket(context, zmq.REQ, broker.address("control"))
        control.send(b"TERMINATE")
        check(recv_multipart(control, 5000, "TERMINATE's answer") == [b""], "bad TERMINATE answer")
        code = broker.wait(5)
        rest = broker.process.stderr.read().decode(errors="replace")
        check(code == 0, f"exit code {code} after TERMINATE with work in progress:\n{rest}")
        for socket in [*sockets, control]:
            socket.close(linger=0)


if __name__ == "__main__":
    raise SystemExit(run(test))

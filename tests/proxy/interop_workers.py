"""zd-queue's workers in STATS: on the native engine each worker with its requests handed
out, its replies and the difference in flight, so a stalled worker shows; on the libzmq
engine the DEALER backend hides its peers and STATS says so ("workers_known": false).

                                                   >tcp --> pyzmq REP "good" (replies)
    pyzmq DEALER client --> [frontend] zd-queue [backend]
                                                   >tcp --> pyzmq REP "stalled" (never reads)

The workers bind and the queue connects to them, so STATS names each by its own port.

Usage: interop_workers.py ZD_QUEUE
"""

import os
import sys
import time

import zmq

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from zdinterop import check, check_engine, engine_device, recv_multipart, run  # noqa: E402

TCP = "@tcp://127.0.0.1:*"


def bound_worker(context):
    socket = context.socket(zmq.REP)
    socket.setsockopt(zmq.LINGER, 0)
    socket.bind("tcp://127.0.0.1:*")
    endpoint = socket.getsockopt_string(zmq.LAST_ENDPOINT)
    return socket, endpoint[len("tcp://"):]


def serve_and_collect(good, client, replies_wanted, got):
    """Answers what the good worker has, reads the client's replies, until replies_wanted."""
    deadline = time.monotonic() + 5
    while got < replies_wanted:
        check(time.monotonic() < deadline, f"{got} replies of {replies_wanted}")
        while good.poll(0):
            good.send(b"done " + good.recv())
        while client.poll(0):
            client.recv_multipart()
            got += 1
        good.poll(10)
    return got


def by_address(workers):
    return {worker["address"]: worker for worker in workers}


def test_native(context, queue):
    good, good_address = bound_worker(context)
    stalled, stalled_address = bound_worker(context)
    with engine_device(queue, "native", "-f", TCP, "-b",
                       f">tcp://{good_address},>tcp://{stalled_address}") as device:
        check_engine(device, "native")
        stats = device.wait_stats(lambda s: len(s["workers"]) == 2, "both workers")
        check(stats["workers_known"] is True and stats["workers_not_listed"] == 0,
              f"workers: {stats['workers']}")
        client = context.socket(zmq.DEALER)
        client.setsockopt(zmq.LINGER, 0)
        client.connect(device.address("frontend"))
        for i in range(10):
            client.send_multipart([b"", b"job %d" % i])
        got = serve_and_collect(good, client, 5, 0)  # round robin: half to each worker
        first = device.wait_stats(
            lambda s: by_address(s["workers"])[stalled_address]["sent"] == 5 and
            by_address(s["workers"])[good_address]["replied"] == 5,
            "five requests to each worker, five replies from the good one")
        workers = by_address(first["workers"])
        check(workers[stalled_address] == {"address": stalled_address, "in_flight": 5, "sent": 5,
                                           "replied": 0}, f"the stalled worker: {workers}")
        check(workers[good_address] == {"address": good_address, "in_flight": 0, "sent": 5,
                                        "replied": 5}, f"the good worker: {workers}")

        for i in range(10, 20):
            client.send_multipart([b"", b"job %d" % i])
        serve_and_collect(good, client, 10, got)
        later = device.wait_stats(
            lambda s: by_address(s["workers"])[good_address]["replied"] == 10,
            "the good worker's replies to grow")
        workers = by_address(later["workers"])
        check(workers[stalled_address]["in_flight"] == 10 and
              workers[stalled_address]["replied"] == 0, f"the stalled worker: {workers}")
        client.close(linger=0)
    good.close(linger=0)
    stalled.close(linger=0)


def test_libzmq(context, queue):
    with engine_device(queue, "libzmq", "-f", TCP, "-b", TCP) as device:
        check_engine(device, "libzmq")
        worker = context.socket(zmq.REP)
        worker.setsockopt(zmq.LINGER, 0)
        worker.connect(device.address("backend"))
        client = context.socket(zmq.REQ)
        client.setsockopt(zmq.LINGER, 0)
        client.connect(device.address("frontend"))
        client.send(b"job")
        check(recv_multipart(worker, 5000, "the request") == [b"job"], "request lost")
        worker.send(b"done")
        check(recv_multipart(client, 5000, "the reply") == [b"done"], "reply lost")
        stats = device.stats()
        check(stats["workers_known"] is False and stats["workers"] == [],
              f"libzmq engine: workers_known {stats['workers_known']}, {stats['workers']}")
        check("workers_not_listed" not in stats, "libzmq engine counts workers it cannot see")
        worker.close(linger=0)
        client.close(linger=0)


def test(context, queue):
    test_native(context, queue)
    test_libzmq(context, queue)


if __name__ == "__main__":
    sys.exit(run(test))

"""The zguide's asynchronous Majordomo client (mdclient2, over mdcliapi2) against zd-broker
with its DEFAULT settings: every one of its 100 000 requests is answered (issue 11).

    MDP/0.1 client (DEALER)                                   zd-worker --echo --mdp 0.1
        sends 100 000 x ["", MDPC01, "echo", "<n>"]  -->  [zd-broker]  -->  one request at
        and only then reads the replies              <--   (defaults)  <--  a time, echoed

mdclient2 sends everything before it reads anything, so nearly all of its requests wait in
the broker's queue for the one worker at once. The broker used to refuse every request past
10 000 queued (--max-queue's old default), silently: MDP has no error reply, and the
client waits for answers that never come (10 151 of 100 000 arrived). The reference broker
queues them all. With the queue bounded by memory (--max-queue-bytes, 256 MiB per service
by default) they all fit, and the broker must answer every one, exactly once.

The client is what mdcliapi2 is, a DEALER, with one difference the test needs to be exact:
its receive high-water mark is lifted (0 = none). A DEALER that does not read holds at most
RCVHWM replies, and a ROUTER drops what does not fit (zd-broker counts it in
unroutable_replies); the zguide's client relies on socket buffers being large enough.

Waits are on events: a blocked send or a silent receive fails after SILENCE_S, with the
broker's STATS in the message.

Usage: test_async_client.py PATH/TO/zd-broker PATH/TO/zd-worker [--requests N]
"""

import argparse
import signal
import subprocess
import tempfile
import time

import zmq

from mdptest import C01, Broker, TestFailure, check, new_socket, run
import zdinterop  # noqa: E402 (mdptest puts tests/support on the path)

SERVICE = b"echo"
SILENCE_S = 10  # nothing sent or received for this long: the broker lost requests

# pyzmq's send_multipart/recv_multipart spend more time on flag enums than on the I/O; the
# Cython methods underneath, with plain int flags, double the client's rate (as in
# test_memory.py).
_send = zmq.backend.Socket.send
_recv = zmq.backend.Socket.recv
_get = zmq.backend.Socket.get
SNDMORE, RCVMORE = int(zmq.SNDMORE), int(zmq.RCVMORE)


class EchoWorker:
    """zd-worker --echo, MDP/0.1 like the zguide's mdworker, in its own process."""

    def __init__(self, path, endpoint):
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [path, "-b", endpoint, "--echo", "--mdp", "0.1", SERVICE.decode()],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log)

    def output(self):
        self.log.seek(0)
        return self.log.read().decode(errors="replace").strip()

    def close(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def failure(broker, worker, what):
    stats = broker.broker_stats()
    why = ""
    if stats["rejected"]:
        why = f" ({stats['rejected']} refused by the broker's queue limits)"
    elif stats["expired"]:
        why = (f" ({stats['expired']} expired: they waited longer than the default "
               f"--request-timeout, 60 s; the machine is too busy for the one worker)")
    return TestFailure(f"{what}{why}; zd-worker: {worker.output() or '(silent)'}; "
                       f"broker stats: {stats}")


def test(context, broker_path, worker_path, requests):
    with Broker(broker_path) as broker:  # the defaults: only endpoints are given
        worker = EchoWorker(worker_path, broker.endpoint)
        try:
            broker.wait_stats(lambda s: s["workers"] == 1, "the worker's READY")
            client = new_socket(context, zmq.DEALER, broker.endpoint, rcvhwm=0,
                                sndtimeo=SILENCE_S * 1000, rcvtimeo=SILENCE_S * 1000)

            # mdclient2: send them all, then read.
            started = time.monotonic()
            header = [b"", C01, SERVICE]
            try:
                for number in range(requests):
                    for frame in header:
                        _send(client, frame, SNDMORE)
                    _send(client, b"%d" % number, 0)
            except zmq.Again:
                raise failure(broker, worker, f"the broker took no request for {SILENCE_S} s "
                              f"after {number} of {requests}") from None
            sent = time.monotonic()

            answered = bytearray(requests)
            received = 0
            try:
                while received < requests:
                    frames = [_recv(client)]
                    while _get(client, RCVMORE):
                        frames.append(_recv(client))
                    check(len(frames) == 4 and frames[:3] == header,
                          f"reply {received}: not an MDP/0.1 reply from echo: {frames!r}")
                    number = int(frames[3])
                    check(0 <= number < requests and not answered[number],
                          f"reply {received}: {frames[3]!r} was not asked, or answered twice")
                    answered[number] = 1
                    received += 1
            except zmq.Again:
                raise failure(broker, worker, f"{received} of {requests} replies, then none for "
                              f"{SILENCE_S} s") from None
            done = time.monotonic()

            stats = broker.broker_stats()
            check(stats["requests"] == requests and stats["replies"] == requests,
                  f"counts: {stats}")
            for name in ("rejected", "unroutable_replies", "expired", "failed"):
                check(stats[name] == 0, f"{name} is {stats[name]}: {stats}")
            check(stats["services"]["echo"]["queued_bytes"] == 0, f"bytes left queued: {stats}")
            print(f"{requests} requests sent in {sent - started:.2f} s, all answered "
                  f"{done - sent:.2f} s later")
            client.close(linger=0)
        finally:
            worker.close()


def main(context, *args):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("broker")
    parser.add_argument("worker")
    parser.add_argument("--requests", type=int, default=100_000)
    options = parser.parse_args(args)
    test(context, options.broker, options.worker, options.requests)


if __name__ == "__main__":
    # One worker serves them one at a time, at a round trip each: 30-40 s for 100 000 on a
    # busy 2-core machine (see CMakeLists.txt). The broker's default --request-timeout, 60 s,
    # is the real bound: a request queued longer expires and the test fails on the silence.
    zdinterop.TEST_DEADLINE_S = 90
    raise SystemExit(run(main))

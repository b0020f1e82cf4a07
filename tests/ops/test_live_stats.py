"""Every device's live STATS becomes Prometheus metrics with nothing left out.

    device (each of the six, the proxies on both engines) <-- traffic from pyzmq peers
       | STATS on its control socket
       v
    zd-ops-stats-to-metrics --check-coverage   (lib/ops' prometheus_text, as a program)
       | exit 3 and the paths when a member has no entry in the metric table
       v
    promtool check metrics                     (when promtool is installed)

Each device is started with traffic enough that its per-side, per-service and per-consumer
objects exist (an empty "services" object would hide a service member the table lacks).
A device that gains a STATS member without a metric-table entry fails this test, naming
the member: add it to lib/ops/metric_table.cpp and docs/METRICS.md.

    test_live_stats.py CONVERTER name=PATH... [--capture DIR]

name is queue, streamer, forwarder, broker, journal, titanic, link or worker (zd-worker,
which zd-titanic's scenario needs). --capture DIR also writes each STATS object to
DIR/<scenario>.json: that is how tests/ops/data/ was made (the unit tests' samples);
CONVERTER "-" captures without converting.
"""

import json
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
sys.path.insert(0, os.path.join(HERE, "..", "journal"))
sys.path.insert(0, os.path.join(HERE, "..", "titanic"))
import zdinterop  # noqa: E402
from zdinterop import ENGINES, Device, check, engine_device, new_socket, recv_multipart  # noqa: E402
from mdptest import Broker, Worker, client_request_v01  # noqa: E402
from journaltest import Consumer, Journal, Producer  # noqa: E402
from titanictest import EchoWorker, Titanic, TitanicClient, start_broker  # noqa: E402

TIMEOUT_MS = 5000
TCP = "@tcp://127.0.0.1:*"


def queue_stats(context, paths, engine):
    """One request and its reply through zd-queue."""
    with engine_device(paths["queue"], engine, "-f", TCP, "-b", TCP) as queue:
        client = new_socket(context, zmq.REQ, queue.address("frontend"))
        worker = new_socket(context, zmq.REP, queue.address("backend"))
        client.send(b"job")
        check(recv_multipart(worker, TIMEOUT_MS, "the request") == [b"job"], "request lost")
        worker.send(b"done")
        check(recv_multipart(client, TIMEOUT_MS, "the reply") == [b"done"], "reply lost")
        return queue.stats()


def streamer_stats(context, paths, engine):
    """One message through zd-streamer."""
    with engine_device(paths["streamer"], engine, "-f", TCP, "-b", TCP) as streamer:
        producer = new_socket(context, zmq.PUSH, streamer.address("frontend"))
        consumer = new_socket(context, zmq.PULL, streamer.address("backend"))
        producer.send(b"item")
        check(recv_multipart(consumer, TIMEOUT_MS, "the item") == [b"item"], "item lost")
        return streamer.stats()


def forwarder_stats(context, paths, engine, *args):
    """A subscription and publications through zd-forwarder, until one arrives."""
    with engine_device(paths["forwarder"], engine, "-f", TCP, "-b", TCP, *args) as forwarder:
        publisher = new_socket(context, zmq.PUB, forwarder.address("frontend"))
        subscriber = new_socket(context, zmq.SUB, forwarder.address("backend"),
                                subscribe=b"news")
        deadline = time.monotonic() + TIMEOUT_MS / 1000
        while not subscriber.poll(20, zmq.POLLIN):
            check(time.monotonic() < deadline, "no publication reached the subscriber")
            publisher.send(b"news 1")
        return forwarder.stats()


def broker_stats(context, paths):
    """zd-broker with a worker of service "echo" and one request it served."""
    with Broker(paths["broker"]) as broker:
        worker = Worker(context, broker.endpoint, "echo")
        worker.ready()
        client = new_socket(context, zmq.REQ, broker.endpoint)
        client_request_v01(client, "echo", "hello")
        address, body = worker.receive_request()
        worker.reply(address, *body)
        recv_multipart(client, TIMEOUT_MS, "the echo reply")
        broker.wait_stats(lambda stats: stats["services"].get("echo", {}).get("served"),
                          "the echo service to count its reply")
        return broker.stats()


def journal_stats(context, paths, directory):
    """zd-journal with one record published, delivered to consumer "billing" and acked."""
    with Journal(paths["journal"], directory) as journal:
        producer = Producer(context, journal.address("frontend"), "producer-1")
        producer.wait_acked(producer.publish("record 1"))
        consumer = Consumer(context, journal.address("backend"), "billing")
        offset, _, _ = consumer.receive()
        consumer.ack(offset)
        return journal.wait_stats(
            lambda stats: any(c["name"] == "billing" and c["acked_next"] > offset
                              for c in stats["consumers"]),
            "consumer billing's ACK to be stored")


def journal_push_stats(context, paths, directory):
    """zd-journal with a plain push backend: one record stored, taken by a PULL consumer,
    so STATS has its plain_backend position."""
    with Journal(paths["journal"], directory, "--backend-type", "push") as journal:
        producer = Producer(context, journal.address("frontend"), "producer-1")
        producer.wait_acked(producer.publish("record 1"))
        pull = context.socket(zmq.PULL)
        pull.setsockopt(zmq.LINGER, 0)
        pull.connect(journal.address("backend"))
        check(pull.poll(5000), "the push backend's record did not arrive")
        pull.recv_multipart()
        pull.close()
        return journal.wait_stats(lambda stats: "plain_backend" in stats,
                                  "the push backend's position in STATS")


def titanic_stats(context, paths, directory):
    """zd-titanic with one request stored, dispatched to an echo worker and answered."""
    with start_broker(paths["broker"]) as broker, \
            EchoWorker(paths["worker"], context, broker), \
            Titanic(paths["titanic"], directory, broker.endpoint) as titanic:
        client = TitanicClient(context, broker.endpoint)
        uuid = client.request("echo", "hello")
        check(client.wait_reply(uuid) == [b"hello"], "titanic's echo reply is wrong")
        client.close()
        return titanic.stats()


def link_stats(context, paths, directory):
    """zd-link between two journals, one record forwarded and acknowledged to the near one."""
    with Journal(paths["journal"], os.path.join(directory, "near")) as near, \
            Journal(paths["journal"], os.path.join(directory, "far")) as far, \
            Device(paths["link"], "--from", ">" + near.address("backend"), "--to",
                   ">" + far.address("frontend"), "--name", "to-far", "--control",
                   "@tcp://127.0.0.1:*") as link:
        producer = Producer(context, near.address("frontend"), "producer-1")
        producer.wait_acked(producer.publish("record 1"))
        return link.wait_stats(lambda stats: stats["link"]["near"]["acked"] == 0,
                               "the record forwarded and acknowledged to the near journal")


def scenarios(context, paths, temp):
    """(name, STATS object) of every device in a state that shows all its members."""
    for engine in ENGINES:
        yield f"zd-queue-{engine}", queue_stats(context, paths, engine)
        yield f"zd-streamer-{engine}", streamer_stats(context, paths, engine)
        yield f"zd-forwarder-{engine}", forwarder_stats(context, paths, engine)
    yield "zd-forwarder-lvc", forwarder_stats(context, paths, "libzmq", "--last-value-cache")
    yield "zd-broker", broker_stats(context, paths)
    yield "zd-journal", journal_stats(context, paths, os.path.join(temp, "journal"))
    yield "zd-journal-push", journal_push_stats(context, paths,
                                                os.path.join(temp, "journal-push"))
    yield "zd-titanic", titanic_stats(context, paths, os.path.join(temp, "titanic"))
    if "link" in paths:
        yield "zd-link", link_stats(context, paths, os.path.join(temp, "link"))


def convert(converter, name, stats):
    """The Prometheus text of stats; fails naming the members without a metric."""
    result = subprocess.run([converter, "--check-coverage"], input=json.dumps(stats).encode(),
                            capture_output=True, timeout=10)
    check(result.returncode == 0,
          f"{name}: STATS members without a metric (exit {result.returncode}): "
          f"{result.stderr.decode(errors='replace')}")
    return result.stdout


def promtool_check(name, text):
    result = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                            timeout=30)
    check(result.returncode == 0,
          f"{name}: promtool check metrics failed: {result.stdout.decode()}"
          f"{result.stderr.decode()}\n{text.decode()}")


def test(context, converter, *args):
    paths = {}
    capture = None
    args = list(args)
    while args:
        arg = args.pop(0)
        if arg == "--capture":
            capture = args.pop(0)
        else:
            name, _, path = arg.partition("=")
            paths[name] = path
    promtool = shutil.which("promtool") is not None
    if not promtool:
        print("promtool not found: the metrics are checked for coverage only", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="zd-ops-") as temp:
        for name, stats in scenarios(context, paths, temp):
            if capture:
                with open(os.path.join(capture, name + ".json"), "w") as out:
                    json.dump(stats, out, indent=1)
                    out.write("\n")
            if converter == "-":  # capture only
                continue
            text = convert(converter, name, stats)
            check(b'device="' + stats["device"].encode() + b'"' in text,
                  f"{name}: no sample labelled with its device:\n{text.decode()}")
            if promtool:
                promtool_check(name, text)
            print(f"{name}: {len(text.splitlines())} lines of metrics")


if __name__ == "__main__":
    zdinterop.TEST_DEADLINE_S = 60
    sys.exit(zdinterop.run(test))

"""--events on the proxy devices and zd-broker, both engines: a pyzmq SUB sees the device's
life (paused, resumed, stopping) and its peers (connected with their address, disconnected,
handshake_failed) as two-frame events [kind][JSON]; a subscription to one kind gets only it.

    pyzmq SUB --> [events PUB] zd-queue / zd-broker <-- pyzmq peers coming and going

Usage: interop_events.py ZD_QUEUE ZD_BROKER
"""

import os
import socket as net
import sys

import zmq

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from zdinterop import (ENGINES, Device, check, engine_device, new_socket,  # noqa: E402
                       run)
from zdevents import control, next_event, subscribe, wait_event  # noqa: E402

TCP = "@tcp://127.0.0.1:*"
BAD_GREETING = b"\xff" + b"\x00" * 8 + b"\x7f\x03\x00PLAIN" + b"\x00" * 47


def check_common(event, device_name):
    check(event["device"] == device_name, f"device in {event}")
    check(isinstance(event["pid"], int) and event["time"].endswith("Z"), f"pid/time in {event}")


def test_queue(context, queue, engine):
    with engine_device(queue, engine, "-f", TCP, "-b", TCP, "--events", TCP) as device:
        sub = subscribe(context, device)
        only_disconnected = subscribe(context, device, b"disconnected")
        wait_event(sub, "resumed", "the probe's resume")
        worker = new_socket(context, zmq.DEALER, device.address("backend"))
        worker_event = wait_event(sub, "connected", "the worker connecting", side="backend")
        check_common(worker_event, "zd-queue")
        check(worker_event["address"].startswith("127.0.0.1:"), f"address in {worker_event}")
        client = new_socket(context, zmq.DEALER, device.address("frontend"))
        came = wait_event(sub, "connected", "the client connecting", side="frontend")
        client.close(linger=0)
        went = wait_event(sub, "disconnected", "the client leaving", side="frontend")
        # Our endpoint it came through: libzmq's monitor tells it; the native engine does not.
        check(went.get("endpoint", device.address("frontend")) == device.address("frontend"),
              f"our endpoint in {went}")
        event = next_event(only_disconnected, "the disconnected-only subscriber's event")
        while event["event"] == "paused":  # what subscribe()'s probe left behind
            event = next_event(only_disconnected, "the disconnected-only subscriber's event")
        check(event["event"] == "disconnected", f"a 'disconnected' subscriber got {event}")
        host, port = device.address("frontend")[len("tcp://"):].rsplit(":", 1)
        raw = net.create_connection((host, int(port)), timeout=5)
        raw.sendall(BAD_GREETING)
        wait_event(sub, "handshake_failed", "a bad greeting", side="frontend")
        raw.close()
        control(device, b"TERMINATE")
        wait_event(sub, "stopping", "the device stopping")
        check(device.wait(5) == 0, "zd-queue did not exit 0 after TERMINATE")
        check(came["address"] != worker_event["address"], "one address for two peers")
        worker.close(linger=0)
        sub.close(linger=0)
        only_disconnected.close(linger=0)


def test_broker(context, broker):
    with Device(broker, "-e", TCP, "--control", TCP, "--events", TCP) as device:
        sub = subscribe(context, device)
        client = new_socket(context, zmq.DEALER, device.address("endpoint"))
        event = wait_event(sub, "connected", "a client connecting", side="endpoint")
        check_common(event, "zd-broker")
        client.close(linger=0)
        wait_event(sub, "disconnected", "the client leaving", side="endpoint")
        device.stop()
        wait_event(sub, "stopping", "the broker stopping")
        sub.close(linger=0)


def test(context, queue, broker):
    for engine in ENGINES:
        test_queue(context, queue, engine)
    test_broker(context, broker)


if __name__ == "__main__":
    sys.exit(run(test))

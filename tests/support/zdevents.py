"""Reading a device's --events from a test: a pyzmq SUB whose subscription is known to have
arrived, and waiting for an event of a kind with given fields. Events are two frames,
[kind][JSON object] (docs/ARCHITECTURE.md, "Events")."""

import json

import zmq

from zdinterop import check, new_socket, recv_multipart


def control(device, command):
    context = zmq.Context.instance()
    socket = new_socket(context, zmq.REQ, device.address("control"))
    try:
        socket.send(command)
        recv_multipart(socket, 5000, f"the answer to {command!r}")
    finally:
        socket.close(linger=0)


def next_event(sub, what):
    kind, body = recv_multipart(sub, 5000, what)
    event = json.loads(body)
    check(event["event"] == kind.decode(), f"kind frame {kind!r} vs body {event}")
    return event


def wait_event(sub, kind, what, **fields):
    """Reads events until one of this kind whose fields match; returns it."""
    while True:
        event = next_event(sub, what)
        if event["event"] == kind and all(event.get(k) == v for k, v in fields.items()):
            return event


def wait_events(sub, what, *wanted):
    """Reads events until one of each wanted (kind, fields) has come, in any order: events
    from different sources of one device (a socket monitor, the protocol) need not come in
    the order they happened. Returns the events found, in wanted's order."""
    found = [None] * len(wanted)
    while any(event is None for event in found):
        event = next_event(sub, what)
        for i, (kind, fields) in enumerate(wanted):
            if found[i] is None and event["event"] == kind and \
                    all(event.get(k) == v for k, v in fields.items()):
                found[i] = event
                break
    return found


def subscribe(context, device, *prefixes):
    """A SUB on the device's events (every kind, or those under prefixes) whose subscription
    has arrived: it also subscribes to "paused" and PAUSEs/RESUMEs the device until a
    "paused" event comes through on this very socket, then drops that subscription (unless
    asked for). Events before that are not seen; a "paused" event or two may still follow."""
    prefixes = prefixes or (b"",)
    sub = new_socket(context, zmq.SUB, device.address("events"))
    for prefix in (*prefixes, b"paused"):
        sub.setsockopt(zmq.SUBSCRIBE, prefix)
    for _ in range(100):
        control(device, b"PAUSE")
        control(device, b"RESUME")
        if sub.poll(50):
            break
    else:
        check(False, "no paused event after 100 PAUSE/RESUME")
    sub.setsockopt(zmq.UNSUBSCRIBE, b"paused")  # one of two: the prefixes' own stays
    return sub

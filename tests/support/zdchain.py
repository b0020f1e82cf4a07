"""Helpers for the tests of chained devices: a chain of hops wired from their ready lines, a
producer filled until it blocks, and what each hop holds (STATS "queued", RSS from /proc).
"""

import time

import zmq

from zdinterop import TestFailure, check, engine_device

TCP = "@tcp://127.0.0.1:*"


def start_chain(path, engine, count, *extra):
    """count devices, the first binding both sides, each next one connecting its frontend to
    the previous one's backend. Returns them started (the caller stops them: stop_chain)."""
    hops = []
    try:
        for _ in range(count):
            frontend = ">" + hops[-1].address("backend") if hops else TCP
            hops.append(engine_device(path, engine, "-f", frontend, "-b", TCP, *extra).__enter__())
    except BaseException:
        stop_chain(hops)
        raise
    return hops


def stop_chain(hops):
    for hop in reversed(hops):
        hop.kill()


def kernel_bound(connections, message_bytes, held_per_hop, hops):
    """The most messages a chain can take in before its producer blocks, if every hop keeps
    its bound: what the kernel's socket buffers of its TCP connections can hold at most (their
    largest autotuned receive and send buffers, /proc/sys/net/ipv4/tcp_{r,w}mem), plus what
    each hop holds by its own rules (held_per_hop messages)."""
    def largest(name):
        with open(f"/proc/sys/net/ipv4/{name}") as limits:
            return int(limits.read().split()[2])
    per_connection = largest("tcp_rmem") + largest("tcp_wmem")
    return connections * per_connection // message_bytes + held_per_hop * hops


def rss_kib(device):
    """The resident memory of a device's process, in KiB (VmRSS from /proc)."""
    with open(f"/proc/{device.process.pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise TestFailure(f"no VmRSS for {device.name}")


def has_sanitizer_runtime(device):
    """True if the device's process has a sanitizer runtime mapped (gcc links libasan
    dynamically): its resident memory then says little about its own (quarantine, shadow)."""
    with open(f"/proc/{device.process.pid}/maps") as maps:
        return any(name in line for line in maps for name in ("libasan", "libtsan", "libmsan"))


def fill_until_blocked(send, socket, bound, quiet_s=0.3, deadline_s=10):
    """Calls send(n) (a non-blocking send of message n, raising zmq.Again when refused) until
    the socket stays unwritable for quiet_s: the chain has pushed back all the way. Fails if
    more than bound messages go in first (a hop that buffers without bound never pushes
    back). Returns how many were sent."""
    sent = 0
    deadline = time.monotonic() + deadline_s
    while True:
        try:
            while True:
                send(sent)
                sent += 1
                check(sent <= bound, f"the producer sent {sent} messages without blocking: some "
                      f"hop buffers without bound")
        except zmq.Again:
            pass
        if not socket.poll(int(quiet_s * 1000), zmq.POLLOUT):
            return sent
        check(time.monotonic() < deadline, f"never blocked within {deadline_s} s ({sent} sent)")


def check_bounded(hops, engine, hwm, rss_limit_kib, label):
    """Every hop holds at most what its --hwm allows (native: queued_messages per side; libzmq:
    at most one parked message) and stays under rss_limit_kib of resident memory (not checked
    under a sanitizer, whose quarantine and shadow memory swell RSS; the queued counts are
    still checked). Returns a description of what each holds, for the log."""
    seen = []
    for index, hop in enumerate(hops, 1):
        queued = hop.stats()["queued"]
        for side in ("frontend", "backend"):
            if engine == "native":
                held = queued[side]["queued_messages"]
                check(held <= hwm, f"{label}: hop {index} holds {held} messages for its {side}, "
                      f"over --hwm {hwm}")
            else:
                check(queued[side]["parked"] <= 1, f"{label}: hop {index} {side} {queued}")
        rss = rss_kib(hop)
        if has_sanitizer_runtime(hop):
            seen.append(f"hop {index}: {queued}, {rss} KiB (sanitizer: RSS not checked)")
            continue
        check(rss <= rss_limit_kib, f"{label}: hop {index} uses {rss} KiB, over {rss_limit_kib}")
        seen.append(f"hop {index}: {queued}, {rss} KiB")
    return seen

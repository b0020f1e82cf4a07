"""Who is connected to zd-broker, in STATS: clients and workers share its one ROUTER, so its
"peers" object has one side, "endpoint"; it follows pyzmq peers coming and going, lists
their addresses, and counts a peer that fails the ZMTP handshake apart.

Usage: test_peers.py PATH/TO/zd-broker
"""

import socket as net

import zmq

from mdptest import Broker, Worker, check, new_socket, run


def endpoint_peers(broker):
    return broker.stats()["peers"]["endpoint"]


def wait_peers(broker, predicate, what):
    """Asks STATS until predicate(its peers["endpoint"]) holds (Device.wait_stats: the
    broker's own wait_stats looks at its "broker" object)."""
    return super(Broker, broker).wait_stats(lambda p: predicate(p["endpoint"]), what,
                                            section="peers")["endpoint"]


def test(context, broker_path):
    with Broker(broker_path) as broker:
        check(endpoint_peers(broker)["connected"] == 0, "peers before anyone connected")
        worker = Worker(context, broker.endpoint, "svc", version=2)
        worker.ready()
        client = new_socket(context, zmq.DEALER, broker.endpoint)
        peers = wait_peers(broker, lambda p: p["connected"] == 2, "a worker and a client")
        check(peers["connections"] == 2 and len(peers["addresses"]) == 2, f"peers: {peers}")
        check(all(a.startswith("127.0.0.1:") for a in peers["addresses"]), f"peers: {peers}")

        client.close(linger=0)
        peers = wait_peers(broker, lambda p: p["connected"] == 1, "the client leaving")
        check(peers["disconnections"] == 1, f"peers: {peers}")

        host, port = broker.endpoint[len("tcp://"):].rsplit(":", 1)
        raw = net.create_connection((host, int(port)), timeout=5)
        raw.sendall(b"\xff" + b"\x00" * 8 + b"\x7f\x03\x00PLAIN" + b"\x00" * 47)
        wait_peers(broker, lambda p: p["handshake_failures"] == 1, "a failed handshake")
        raw.close()
        wait_peers(broker, lambda p: p["connected"] == 1, "the failed connection gone")
        worker.close()
        wait_peers(broker, lambda p: p["connected"] == 0, "everyone gone")


if __name__ == "__main__":
    raise SystemExit(run(test))

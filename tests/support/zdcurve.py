"""Shared helpers for the CURVE process tests (issue 14): certificates made by zd-keygen,
pyzmq sockets with a monitor that wait for their handshake's outcome, a TCP relay that keeps
the bytes a client sends (to prove no plaintext crosses the wire), and the exit-2 check of the
fail-closed cases.
"""

import os
import shutil
import socket
import struct
import subprocess
import threading

import zmq
import zmq.auth

from zdinterop import TestFailure, check, strip_log_time

TIMEOUT_MS = 5000
NOTHING_MORE_MS = 300  # after a refusal was seen: a message would have arrived by now


class Keys:
    """Certificates made by zd-keygen in a temporary directory: the hub's, an allowed client's
    (in allow/), a stranger's (not in allow/)."""

    def __init__(self, keygen, directory):
        self.directory = directory
        self.keygen = keygen
        self.allow = os.path.join(directory, "allow")
        os.mkdir(self.allow)
        for name in ("hub", "client", "stranger", "late"):
            self.make(name)
        shutil.copy(self.path("client"), self.allow)

    def make(self, name):
        done = subprocess.run([self.keygen, self.path(name)], capture_output=True, timeout=10)
        check(done.returncode == 0, f"zd-keygen {name}: {done.stderr!r}")

    def path(self, name):
        return os.path.join(self.directory, name)

    def pair(self, name):
        """(public, secret) as pyzmq takes them."""
        return zmq.auth.load_certificate(self.path(name) + "_secret")

    def public(self, name):
        return zmq.auth.load_certificate(self.path(name))[0]

    def device_flags(self):
        return ["--curve-cert", self.path("hub_secret"), "--curve-allow", self.allow]


def monitored(context, kind, keys=None, name=None, server_key=None):
    """A socket with a monitor, CURVE client keys if name is given."""
    sock = context.socket(kind)
    sock.linger = 0
    if name is not None:
        sock.curve_publickey, sock.curve_secretkey = keys.pair(name)
        sock.curve_serverkey = server_key if server_key is not None else keys.public("hub")
    monitor = sock.get_monitor_socket(zmq.EVENT_HANDSHAKE_SUCCEEDED |
                                      zmq.EVENT_HANDSHAKE_FAILED_AUTH |
                                      zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL |
                                      zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                                      zmq.EVENT_DISCONNECTED)
    return sock, monitor


def close_monitored(*pairs):
    """Closes (socket, monitor) pairs, the monitor first stopped so its inproc name is free."""
    for sock, monitor in pairs:
        sock.disable_monitor()
        monitor.close(linger=0)
        sock.close(linger=0)


def handshake_outcome(monitor):
    """The first handshake event (or disconnection) the monitor reports."""
    if not monitor.poll(TIMEOUT_MS):
        raise TestFailure("no handshake outcome within 5 s")
    frames = monitor.recv_multipart()
    return struct.unpack("=hi", frames[0][:6])[0]


def receive(sock, timeout_ms=TIMEOUT_MS):
    if not sock.poll(timeout_ms):
        return None
    return sock.recv_multipart()


class Relay:
    """A TCP relay on loopback between clients and a device, keeping every byte that passes
    from the client to the device."""

    def __init__(self, target):
        host, port = target.replace("tcp://", "").rsplit(":", 1)
        self.target = (host, int(port))
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen()
        self.address = "tcp://127.0.0.1:%d" % self.listener.getsockname()[1]
        self.seen = bytearray()
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        client, _ = self.listener.accept()
        upstream = socket.create_connection(self.target)
        threading.Thread(target=self._pipe, args=(client, upstream, True), daemon=True).start()
        threading.Thread(target=self._pipe, args=(upstream, client, False), daemon=True).start()

    def _pipe(self, source, sink, keep):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if keep:
                    with self.lock:
                        self.seen += data
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def bytes_seen(self):
        with self.lock:
            return bytes(self.seen)


def exits_2(program, args, needle, what):
    done = subprocess.run([program, *args], stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=10)
    err = strip_log_time(done.stderr)
    check(done.returncode == 2, f"{what}: exit {done.returncode}, want 2; stderr {err!r}")
    check(needle in err, f"{what}: stderr does not say {needle!r}: {err!r}")

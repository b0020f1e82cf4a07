"""Several hosts on one machine: network namespaces joined by veth links through a router
namespace, with the means to cut a link or make it silent, and to remove every trace of it.

    host h1 --veth-- router --veth-- host h2
                       |
                     veth
                       |
                    host h3

Each host namespace has one link to the router, a /30 of its own (10.213.N.0/30: the router is
.1, the host .2), loopback up and a default route through the router, which forwards. The
addresses exist only inside the namespaces: nothing outside can reach them or is reached.

Names carry the test's pid (zd-hosts-PID-h1, ...), so runs at the same time never meet, and a
run that was killed (SIGKILL: no finally) leaves namespaces that the next run removes: those
whose pid is no longer alive.

Programs run inside a host with `ip netns exec NS program ...`: ip execs the program, so the
process started is the program itself and is stopped by its pid.
"""

import os
import re
import shutil
import signal
import subprocess

PREFIX = "zd-hosts-"
SUBNET = "10.213"


class Unavailable(Exception):
    """Namespaces cannot be made here (not root, no ip, unshare denied): the reason."""


def run_ip(*args, check=True):
    """Runs `ip ARGS`; its CompletedProcess. Raises RuntimeError naming the command on failure."""
    done = subprocess.run(["ip", *args], stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=10)
    if check and done.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: exit {done.returncode}: {done.stderr.strip()}")
    return done


def delete_namespace(name):
    """Kills what still runs in the namespace (by pid: the programs a run started there and
    did not stop), then deletes it; a namespace outlives its name while a process is in it."""
    for pid in run_ip("netns", "pids", name, check=False).stdout.split():
        try:
            os.kill(int(pid), signal.SIGKILL)
        except (ValueError, ProcessLookupError):
            pass
    run_ip("netns", "delete", name, check=False)


def remove_stale_namespaces():
    """Removes namespaces left by runs of this helper whose process is gone (killed with no
    chance to clean up), and the programs still running in them."""
    listed = run_ip("netns", "list", check=False).stdout
    for namespace, pid in re.findall(rf"^({re.escape(PREFIX)}(\d+)-\w+)", listed, re.MULTILINE):
        if not os.path.exists(f"/proc/{pid}"):
            delete_namespace(namespace)


class Fabric:
    """Three hosts and a router, as drawn above. Used as a context manager: leaving the block
    (normally, by an exception, or by a signal turned into one) removes every namespace, and
    with them their links, addresses and routes."""

    def __init__(self, hosts=("h1", "h2", "h3")):
        self.hosts = list(hosts)
        self.tag = f"{PREFIX}{os.getpid()}"
        self.created = []  # namespaces made so far, removed in reverse order

    # --- names and addresses ---------------------------------------------------------------

    def namespace(self, host):
        return f"{self.tag}-{host}"

    @property
    def router(self):
        return self.namespace("r")

    def index(self, host):
        return self.hosts.index(host) + 1

    def address(self, host):
        """The host's own address, on its link to the router."""
        return f"{SUBNET}.{self.index(host)}.2"

    def router_side(self, host):
        """The router's end of the host's link (an interface in the router namespace)."""
        return f"to-{host}"

    def exec_prefix(self, host):
        """The command prefix that runs a program inside host."""
        return ["ip", "netns", "exec", self.namespace(host)]

    # --- making it -------------------------------------------------------------------------

    def __enter__(self):
        if os.geteuid() != 0:
            raise Unavailable("network namespaces need root (ip netns add); not root here")
        if shutil.which("ip") is None:
            raise Unavailable("no 'ip' program (iproute2) on PATH")
        remove_stale_namespaces()
        try:
            self._add_namespace(self.router)
        except RuntimeError as error:
            self.remove()
            raise Unavailable(f"cannot create a network namespace: {error}") from error
        try:
            self._build()
        except BaseException:
            self.remove()
            raise
        return self

    def __exit__(self, *exc):
        self.remove()
        return False

    def _add_namespace(self, name):
        run_ip("netns", "add", name)
        self.created.append(name)
        run_ip("-n", name, "link", "set", "lo", "up")

    def _build(self):
        router = self.router
        run_ip("netns", "exec", router, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1")
        for host in self.hosts:
            namespace = self.namespace(host)
            self._add_namespace(namespace)
            n = self.index(host)
            run_ip("-n", router, "link", "add", self.router_side(host), "type", "veth",
                   "peer", "name", "eth0", "netns", namespace)
            run_ip("-n", router, "addr", "add", f"{SUBNET}.{n}.1/30", "dev",
                   self.router_side(host))
            run_ip("-n", namespace, "addr", "add", f"{SUBNET}.{n}.2/30", "dev", "eth0")
            run_ip("-n", router, "link", "set", self.router_side(host), "up")
            run_ip("-n", namespace, "link", "set", "eth0", "up")
            run_ip("-n", namespace, "route", "add", "default", "via", f"{SUBNET}.{n}.1")

    def remove(self):
        """Deletes every namespace made (their veths, addresses and routes go with them).
        Safe to call twice; never raises."""
        while self.created:
            name = self.created.pop()
            try:
                delete_namespace(name)
            except Exception:  # a timeout: keep removing the others
                pass

    def leftovers(self):
        """Namespaces of this fabric that still exist (after remove(): none)."""
        listed = run_ip("netns", "list", check=False).stdout
        return [line.split()[0] for line in listed.splitlines()
                if line.startswith(self.tag + "-")]

    # --- breaking it -----------------------------------------------------------------------

    def cut(self, host):
        """Takes host's link down at the router: its packets go nowhere, and the router,
        having no route to the host any more, says so to the others (ICMP unreachable).
        The router's end is the one cut so that the host keeps its own routes."""
        run_ip("-n", self.router, "link", "set", self.router_side(host), "down")

    def restore(self, host):
        run_ip("-n", self.router, "link", "set", self.router_side(host), "up")

    def silence(self, host, towards):
        """Inside host, drops every packet to towards's address without a word (a blackhole
        route: no ICMP, no error; established TCP connections simply stall)."""
        run_ip("-n", self.namespace(host), "route", "add", "blackhole",
               f"{self.address(towards)}/32")

    def unsilence(self, host, towards):
        run_ip("-n", self.namespace(host), "route", "del", "blackhole",
               f"{self.address(towards)}/32")

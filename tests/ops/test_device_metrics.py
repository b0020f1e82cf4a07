"""--metrics and --events on every real device: each one started with both (and without
--control, which --metrics must not need) names them in its ready line; curl's GET /metrics
is Prometheus text that promtool accepts and that carries the device's label; GET /stats is
its STATS object; and it stops cleanly with both running. (What --events publishes is
tested in tests/proxy/interop_events.py.)

    curl --HTTP--> zd-queue | zd-streamer | zd-forwarder | zd-broker | zd-journal | zd-titanic

    test_device_metrics.py queue=PATH streamer=PATH forwarder=PATH broker=PATH journal=PATH
                           titanic=PATH
Exit 77 (CTest: SKIPPED, never passed) without curl or promtool.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
import zdinterop  # noqa: E402
from zdinterop import Device, check  # noqa: E402

TCP = "@tcp://127.0.0.1:*"


def curl(url):
    result = subprocess.run(["curl", "-sS", "--max-time", "10", "-o", "-", "-w",
                             "\n%{http_code}", url], capture_output=True, timeout=20)
    check(result.returncode == 0, f"curl {url} failed: {result.stderr.decode()}")
    body, _, status = result.stdout.rpartition(b"\n")
    return int(status), body


def commands(paths, work):
    return {
        "zd-queue": [paths["queue"], "-f", TCP, "-b", TCP],
        "zd-streamer": [paths["streamer"], "-f", TCP, "-b", TCP],
        "zd-forwarder": [paths["forwarder"], "-f", TCP, "-b", TCP],
        "zd-broker": [paths["broker"], "-e", TCP],
        "zd-journal": [paths["journal"], "--dir", os.path.join(work, "journal"), "-f", TCP,
                       "-b", TCP],
        # Titanic connects to a broker; none needs to run for its metrics to be served.
        "zd-titanic": [paths["titanic"], "--dir", os.path.join(work, "titanic"), "-b",
                       "tcp://127.0.0.1:9"],
    }


def test(context, *args):
    paths = dict(arg.split("=", 1) for arg in args)
    with tempfile.TemporaryDirectory() as work:
        for name, command in commands(paths, work).items():
            with Device(*command, "--metrics", TCP, "--events", TCP) as device:
                base = "http://" + device.address("metrics").removeprefix("tcp://")
                status, metrics = curl(base + "/metrics")
                check(status == 200, f"{name}: GET /metrics answered {status}")
                check(f'zd_uptime_seconds{{device="{name}"}}'.encode() in metrics,
                      f"{name}: no zd_uptime_seconds for the device in:\n{metrics.decode()}")
                lint = subprocess.run(["promtool", "check", "metrics"], input=metrics,
                                      capture_output=True, timeout=30)
                check(lint.returncode == 0, f"{name}: promtool: {lint.stdout.decode()}"
                                            f"{lint.stderr.decode()}")
                status, stats = curl(base + "/stats")
                check(status == 200, f"{name}: GET /stats answered {status}")
                stats = json.loads(stats)
                check(stats["device"] == name and stats["pid"] == device.process.pid,
                      f"{name}: /stats is another's: {stats}")
                check(device.address("events").startswith("tcp://127.0.0.1:"),
                      f"{name}: events endpoint in the ready line")
                code = device.stop()
                check(code == 0, f"{name}: exit {code} after SIGTERM")
            print(f"{name}: /metrics {len(metrics.splitlines())} lines, promtool ok")


if __name__ == "__main__":
    missing = [tool for tool in ("curl", "promtool") if shutil.which(tool) is None]
    if missing:
        print(f"SKIPPED: {' and '.join(missing)} not found (scripts/setup.sh installs them)")
        sys.exit(77)
    sys.exit(zdinterop.run(test))

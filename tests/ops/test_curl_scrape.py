"""/metrics scraped over real HTTP with curl, as Prometheus would, and checked by promtool.

    curl --HTTP--> zd-ops-metrics-fixture --metrics @tcp://127.0.0.1:*
                   (control server on base's poll loop answering a captured STATS)
       |
       v
    promtool check metrics

For every STATS sample captured from the real devices (data/*.json): GET /metrics is 200,
text/plain; version=0.0.4, and promtool accepts it; GET /stats is 200, application/json,
the object as the device sent it; GET /other is 404. Bad --metrics values exit 2.

    test_curl_scrape.py FIXTURE DATA_DIR
Exit 77 (CTest: SKIPPED, never passed) without curl or promtool.
"""

import glob
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
import zdinterop  # noqa: E402
from zdinterop import Device, check  # noqa: E402


def curl(url):
    """(status, content type, body) of GET url."""
    result = subprocess.run(["curl", "-sS", "--max-time", "10", "-o", "-", "-w",
                             "\n%{http_code} %{content_type}", url],
                            capture_output=True, timeout=20)
    check(result.returncode == 0, f"curl {url} failed: {result.stderr.decode()}")
    body, _, status_line = result.stdout.rpartition(b"\n")
    status, _, content_type = status_line.decode().partition(" ")
    return int(status), content_type, body


def test(context, fixture, data_dir):
    samples = sorted(glob.glob(os.path.join(data_dir, "*.json")))
    # One per device and engine (test_live_stats.py --capture writes them): a lost file
    # must fail here, not shrink the test.
    check(len(samples) >= 10, f"expected 10 captured samples in {data_dir}, found {len(samples)}")
    for sample in samples:
        with Device(fixture, sample, "@tcp://127.0.0.1:*") as device:
            device.name = "zd-ops-metrics-fixture"
            base = "http://" + device.address("metrics").removeprefix("tcp://")
            status, content_type, metrics = curl(base + "/metrics")
            check(status == 200, f"{sample}: GET /metrics answered {status}")
            check(content_type == "text/plain; version=0.0.4",
                  f"{sample}: /metrics content type {content_type!r}")
            lint = subprocess.run(["promtool", "check", "metrics"], input=metrics,
                                  capture_output=True, timeout=30)
            check(lint.returncode == 0, f"{sample}: promtool check metrics: "
                                        f"{lint.stdout.decode()}{lint.stderr.decode()}")
            status, content_type, stats = curl(base + "/stats")
            check(status == 200 and content_type == "application/json",
                  f"{sample}: GET /stats answered {status} {content_type!r}")
            with open(sample, "rb") as original:
                check(stats == original.read(), f"{sample}: /stats is not the STATS object")
            status, _, _ = curl(base + "/other")
            check(status == 404, f"{sample}: GET /other answered {status}")
        print(f"{os.path.basename(sample)}: {len(metrics.splitlines())} lines, promtool ok")
    for bad in (">tcp://127.0.0.1:9100", "@ipc:///tmp/metrics", "@tcp://127.0.0.1"):
        result = subprocess.run([fixture, samples[0], bad], capture_output=True, timeout=10)
        check(result.returncode == 2 and bad.encode() in result.stderr,
              f"--metrics {bad}: exit {result.returncode}, {result.stderr!r}")


if __name__ == "__main__":
    missing = [tool for tool in ("curl", "promtool") if shutil.which(tool) is None]
    if missing:
        print(f"SKIPPED: {' and '.join(missing)} not found (scripts/setup.sh installs them)")
        sys.exit(77)
    sys.exit(zdinterop.run(test))

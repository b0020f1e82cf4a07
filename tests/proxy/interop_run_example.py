"""Runs an example program against a real device, so the examples in examples/ keep working.

Usage: run_example.py DEVICE [DEVICE_ARGS...] -- EXAMPLE [EXAMPLE_ARGS...]

The device starts with DEVICE_ARGS, its ready line gives the resolved endpoints, and in the
example's arguments {frontend} and {backend} are replaced by them. The test passes when
the example exits 0 within the deadline.
"""

import subprocess
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from zdinterop import Device, check, run

EXAMPLE_TIMEOUT_S = 15


def test(context, *arguments):
    check("--" in arguments, "usage: run_example.py DEVICE [ARGS...] -- EXAMPLE [ARGS...]")
    split = arguments.index("--")
    device_command, example_command = arguments[:split], arguments[split + 1:]
    with Device(*device_command) as device:
        command = [argument.format(frontend=device.address("frontend"),
                                   backend=device.address("backend"))
                   for argument in example_command]
        try:
            result = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True,
                                    text=True, timeout=EXAMPLE_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            check(False, f"{command[0]} did not finish within {EXAMPLE_TIMEOUT_S} s")
        sys.stdout.write(result.stdout)
        check(result.returncode == 0,
              f"{' '.join(command)} exited {result.returncode}:\n{result.stderr}")


if __name__ == "__main__":
    sys.exit(run(test))

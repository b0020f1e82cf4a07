"""Certificates cross between CZMQ and zdevices both ways (issue 14, "Keys and flags"):

  - a pair made by CZMQ (zcert_new, zcert_set_meta, zcert_save) reads here: the public file
    and, once it is mode 0600, the secret file through the checks a device's --curve-cert
    makes (zd-keygen --check); CZMQ's secret file mode is reported, and refused if wider
    (CZMQ writes 0600, but keeps the mode of a secret file it rewrites: 0644 stays 0644);
  - a pair made by zd-keygen loads in CZMQ (zcert_load) with the same keys and name;
  - a directory of CZMQ-made public certificates reads as an allow-list.

czmq_certs (czmq_certs.c) is CZMQ's side. Without libczmq it is not built, CMake passes ""
and the test exits 77, which CTest reports as skipped: it never passes without CZMQ.

Usage: test_czmq_interop.py ZD-KEYGEN CZMQ_CERTS|""
"""

import os
import stat
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
import zdinterop  # noqa: E402
from zdinterop import check, strip_log_time  # noqa: E402

SKIPPED = 77


def run(*command):
    done = subprocess.run(list(command), stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=10)
    return done.returncode, done.stdout, strip_log_time(done.stderr)


def fields(text):
    """{"public-key": ..., "name": ..., ...} from "key value" lines."""
    return dict(line.split(" ", 1) for line in text.splitlines())


def czmq_made_loads_here(keygen, czmq, directory):
    base = os.path.join(directory, "from-czmq")
    code, out, err = run(czmq, "make", base, "czmq-hub")
    check(code == 0, f"czmq_certs make exited {code}: {err!r}")
    public_key = out.strip()

    code, out, err = run(keygen, "--check", base)
    check(code == 0, f"our reader refused CZMQ's public file: {err!r}")
    check(fields(out) == {"public-key": public_key, "name": "czmq-hub", "secret-key": "absent"},
          f"CZMQ's public file read as {out!r}")

    # CZMQ creates the secret with umask 077 (zsys_file_mode_private): 0600 whatever our umask.
    secret_mode = stat.S_IMODE(os.stat(base + "_secret").st_mode)
    print(f"CZMQ wrote its secret file with mode {oct(secret_mode)}")
    code, out, err = run(keygen, "--check", base + "_secret")
    if secret_mode & 0o077:
        check(code == 1 and "chmod 600" in err, f"a {oct(secret_mode)} secret was not refused")
        os.chmod(base + "_secret", 0o600)
        code, out, err = run(keygen, "--check", base + "_secret")
    check(code == 0, f"our reader refused CZMQ's secret file: {err!r}")
    check(fields(out)["public-key"] == public_key and fields(out)["secret-key"].startswith(
        "present"), f"CZMQ's secret file read as {out!r}")
    os.chmod(base + "_secret", 0o640)
    code, out, err = run(keygen, "--check", base + "_secret")
    check(code == 1 and f"chmod 600 {base}_secret" in err, f"0640 CZMQ secret: {err!r}")
    os.chmod(base + "_secret", 0o600)
    return public_key


def czmq_keeps_a_wide_mode_we_refuse(keygen, czmq, directory):
    """zcert_save over an existing secret file rewrites it in place (fopen "w"), so a file
    someone made 0644 stays 0644 with the new secret in it; we refuse it with the fix."""
    base = os.path.join(directory, "rewritten")
    code, _, err = run(czmq, "make", base, "rewritten")
    check(code == 0, f"czmq_certs make exited {code}: {err!r}")
    os.chmod(base + "_secret", 0o644)
    code, _, err = run(czmq, "make", base, "rewritten")
    check(code == 0, f"czmq_certs make over existing files exited {code}: {err!r}")
    mode = stat.S_IMODE(os.stat(base + "_secret").st_mode)
    print(f"CZMQ rewriting a 0644 secret file left mode {oct(mode)}")
    code, _, err = run(keygen, "--check", base + "_secret")
    if mode & 0o077:
        check(code == 1 and f"chmod 600 {base}_secret" in err,
              f"CZMQ's rewritten {oct(mode)} secret was not refused: {err!r}")
    else:
        check(code == 0, f"CZMQ's rewritten secret refused: {err!r}")


def ours_load_in_czmq(keygen, czmq, directory):
    base = os.path.join(directory, "from-zd")
    code, out, err = run(keygen, base, "--meta", "site=paris")
    check(code == 0, f"zd-keygen exited {code}: {err!r}")
    public_key = out.strip()
    with open(base + "_secret") as file:
        secret_key = file.read().split('secret-key = "')[1][:40]

    code, out, err = run(czmq, "load", base)  # zcert_load reads NAME_secret first
    check(code == 0, f"CZMQ could not load our secret file: {err!r}")
    check(fields(out) == {"public-key": public_key, "secret-key": secret_key, "name": "from-zd"},
          f"CZMQ read our secret file as {out!r}")

    alone = os.path.join(directory, "public-only")
    os.mkdir(alone)
    os.link(base, os.path.join(alone, "from-zd"))
    code, out, err = run(czmq, "load", os.path.join(alone, "from-zd"))
    check(code == 0, f"CZMQ could not load our public file: {err!r}")
    check(fields(out) == {"public-key": public_key, "secret-key": "0" * 40, "name": "from-zd"},
          f"CZMQ read our public file as {out!r}")


def czmq_directory_is_an_allow_list(keygen, czmq, directory, czmq_key):
    allowed = os.path.join(directory, "allowed")
    os.mkdir(allowed)
    keys = {czmq_key: "czmq-hub"}
    for name in ("alice", "bob"):
        code, out, err = run(czmq, "make", os.path.join(allowed, name), name)
        check(code == 0, f"czmq_certs make exited {code}: {err!r}")
        keys[out.strip()] = name
    os.link(os.path.join(directory, "from-czmq"), os.path.join(allowed, "from-czmq"))
    code, out, err = run(keygen, "--check", allowed)
    check(code == 0, f"--check on a CZMQ directory exited {code}: {err!r}")
    listed = dict(line.split(" ", 1) for line in out.splitlines())
    check(listed == keys, f"allow-list read as {listed}, CZMQ made {keys}")


def main(context, keygen, czmq=""):
    if not czmq:
        print("SKIPPED: libczmq is not installed (scripts/setup.sh installs libczmq-dev)")
        sys.exit(SKIPPED)
    with tempfile.TemporaryDirectory() as directory:
        czmq_key = czmq_made_loads_here(keygen, czmq, directory)
        czmq_keeps_a_wide_mode_we_refuse(keygen, czmq, directory)
        ours_load_in_czmq(keygen, czmq, directory)
        czmq_directory_is_an_allow_list(keygen, czmq, directory, czmq_key)


if __name__ == "__main__":
    sys.exit(zdinterop.run(main))

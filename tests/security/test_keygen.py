"""zd-keygen as an operator meets it (docs/SECURITY.md, "Keys and certificates"):

  - `zd-keygen NAME` writes NAME and NAME_secret (mode 0600), prints the public key, and the
    metadata name defaults to NAME's file name; --meta adds metadata;
  - existing files are refused (exit 1, both kept) unless --force;
  - a bad --meta, a NAME ending in _secret, no NAME at all: usage errors, exit 2;
  - --check prints what a file or directory holds, and refuses what a device would refuse;
  - pyzmq's zmq.auth.load_certificate reads our files to the same keys, and those keys carry
    a real CURVE handshake.

Usage: test_keygen.py ZD-KEYGEN
"""

import os
import stat
import subprocess
import sys
import tempfile

import zmq
import zmq.auth

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
import zdinterop  # noqa: E402
from zdinterop import check, strip_log_time  # noqa: E402


def keygen(program, *args):
    done = subprocess.run([program, *args], stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=10)
    return done.returncode, done.stdout, strip_log_time(done.stderr)


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def read(path):
    with open(path) as file:
        return file.read()


def makes_both_files(program, directory):
    base = os.path.join(directory, "hub-a")
    code, out, err = keygen(program, base, "--meta", "site=paris", "--meta", "email=ops@x.org")
    check(code == 0, f"zd-keygen exited {code}: {err!r}")
    check(mode_of(base + "_secret") == 0o600, f"secret mode {oct(mode_of(base + '_secret'))}")
    check(mode_of(base) == 0o644, f"public mode {oct(mode_of(base))}")
    public_key = out.strip()
    check(len(public_key) == 40, f"stdout is not one 40-character key: {out!r}")
    check(f'    public-key = "{public_key}"' in read(base), "the key printed is not in NAME")
    check("secret-key" not in read(base), "the public file holds a secret key")
    check('    name = "hub-a"' in read(base), f"name is not NAME's file name: {read(base)!r}")
    check('    site = "paris"' in read(base) and '    email = "ops@x.org"' in read(base),
          f"--meta not in the file: {read(base)!r}")
    check("secret-key" in read(base + "_secret"), "the secret file has no secret key")
    check(read(base).startswith("#   ****  Generated on "), "not CZMQ's header comment")
    check("wrote " in err and "mode 0600" in err, f"no line saying what was written: {err!r}")
    return base, public_key


def name_from_meta(program, directory):
    base = os.path.join(directory, "other")
    code, _, err = keygen(program, base, "--meta", "name=hub-b")
    check(code == 0, f"zd-keygen --meta name= exited {code}: {err!r}")
    check('    name = "hub-b"' in read(base), "--meta name did not replace the default")
    check(read(base).count("name =") == 1, "two names in the file")


def refuses_overwrite(program, base, public_key):
    before = (read(base), read(base + "_secret"))
    code, out, err = keygen(program, base)
    check(code == 1, f"zd-keygen over existing files exited {code}, expected 1: {err!r}")
    check("exists" in err and "--force" in err, f"refusal does not say --force: {err!r}")
    check(out == "", f"a refused run printed a key: {out!r}")
    check((read(base), read(base + "_secret")) == before, "a refused run changed the files")
    os.chmod(base + "_secret", 0o644)  # --force must not inherit this mode
    code, out, err = keygen(program, base, "--force")
    check(code == 0, f"zd-keygen --force exited {code}: {err!r}")
    check(out.strip() != public_key, "--force did not make a new key")
    check(mode_of(base + "_secret") == 0o600, "--force left the old secret file's mode")
    check(sorted(os.listdir(os.path.dirname(base))) == ["hub-a", "hub-a_secret", "other",
                                                        "other_secret"],
          f"files left behind: {os.listdir(os.path.dirname(base))}")


def usage_errors(program, directory):
    for args, wanted in [(["x", "--meta", "novalue"], "--meta: 'novalue' is not KEY=VALUE"),
                         (["x", "--meta", "bad key=1"], "only letters"),
                         (["x", "--meta", 'q="quoted"'], "CZMQ cannot read"),
                         (["x_secret"], "ends in _secret"),
                         ([], "NAME"),
                         (["x", "--check", "x"], "not both"),
                         (["--no-such-option"], "")]:
        code, out, err = keygen(program, *[os.path.join(directory, a) if a in ("x", "x_secret")
                                           else a for a in args])
        check(code == 2, f"zd-keygen {args} exited {code}, expected 2: {err!r}")
        check(err.startswith("zd-keygen: ") and wanted in err, f"zd-keygen {args}: {err!r}")
        check("Run with --help" in err, f"no --help hint: {err!r}")
    check(not os.path.exists(os.path.join(directory, "x")), "a usage error wrote a file")


def check_option(program, base, directory):
    public_key = zmq.auth.load_certificate(base)[0].decode()
    code, out, err = keygen(program, "--check", base + "_secret")
    check(code == 0, f"--check on the secret exited {code}: {err!r}")
    check(out == f"public-key {public_key}\nname hub-a\n"
                 "secret-key present (mode 0600, matches public-key)\n", f"--check: {out!r}")
    code, out, _ = keygen(program, "--check", base)
    check(out.endswith("secret-key absent\n"), f"--check on the public file: {out!r}")
    os.chmod(base + "_secret", 0o640)
    code, out, err = keygen(program, "--check", base + "_secret")
    check(code == 1 and f"chmod 600 {base}_secret" in err, f"0640 secret: {code} {err!r}")
    os.chmod(base + "_secret", 0o600)
    code, out, err = keygen(program, "--check", directory)
    check(code == 0, f"--check DIR exited {code}: {err!r}")
    check(out == f"{public_key} hub-a\n", f"--check DIR: {out!r}")
    broken = os.path.join(directory, "broken")
    with open(broken, "w") as file:
        file.write("curve\n    public-key = short\n")
    code, out, err = keygen(program, "--check", directory)
    check(code == 1 and f"{broken}:2:" in err, f"--check DIR with a broken file: {code} {err!r}")
    os.unlink(broken)


def pyzmq_reads_our_files(context, base):
    public_key = read(base).split('public-key = "')[1][:40]
    loaded_public, loaded_secret = zmq.auth.load_certificate(base)
    check(loaded_public.decode() == public_key and loaded_secret is None,
          f"pyzmq read NAME as {loaded_public!r}, {loaded_secret!r}")
    server_public, server_secret = zmq.auth.load_certificate(base + "_secret")
    check(server_public.decode() == public_key and server_secret and len(server_secret) == 40,
          "pyzmq read NAME_secret to other keys")
    check(zmq.curve_public(server_secret) == server_public, "the secret is not the public's")

    # The keys carry a handshake: CURVE server with our secret, a client that knows our public.
    client_public, client_secret = zmq.curve_keypair()
    server = context.socket(zmq.PULL)
    server.curve_server = True
    server.curve_publickey, server.curve_secretkey = server_public, server_secret
    server.bind("tcp://127.0.0.1:*")
    client = context.socket(zmq.PUSH)
    client.curve_serverkey = server_public
    client.curve_publickey, client.curve_secretkey = client_public, client_secret
    client.connect(server.last_endpoint.decode())
    client.send(b"over curve")
    check(server.poll(5000) and server.recv() == b"over curve", "no message over CURVE")
    server.close(0)
    client.close(0)


def main(context, program):
    with tempfile.TemporaryDirectory() as directory:
        base, public_key = makes_both_files(program, directory)
        name_from_meta(program, directory)
        refuses_overwrite(program, base, public_key)
        usage_errors(program, directory)
        os.unlink(os.path.join(directory, "other"))
        os.unlink(os.path.join(directory, "other_secret"))
        check_option(program, base, directory)
        pyzmq_reads_our_files(context, base)


if __name__ == "__main__":
    sys.exit(zdinterop.run(main))

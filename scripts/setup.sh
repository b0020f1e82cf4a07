#!/usr/bin/env bash
# Installs what zdevices needs to build, test and fuzz on Debian 12, from Debian's own
# packages (nothing is vendored or downloaded). Idempotent and quiet: when everything is
# already there it only checks, needs no root and touches nothing.
#
# Usage: scripts/setup.sh   (as root, or as a user who may sudo: only apt-get runs as root)
set -euo pipefail

packages=(
    build-essential     # g++ 12, make
    cmake
    pkg-config
    libzmq3-dev         # libzmq 4.3.4
    cppzmq-dev          # zmq.hpp, zmq_addon.hpp
    libmsgpack-cxx-dev  # zd-recv --format msgpack
    libcli11-dev        # the shared command line
    libsystemd-dev      # sd_notify(READY=1) for systemd Type=notify units
    catch2              # v2, catch2/catch.hpp
    python3             # interop tests and examples
    python3-zmq         # pyzmq for the interop tests
    clang-format        # the committed .clang-format
    clang               # libFuzzer builds of the fuzz targets
    libclang-rt-14-dev  # libFuzzer and the sanitizer runtimes for clang 14
    strace              # fault injection (fdatasync EIO, write ENOSPC) in the journal tests
    rapidjson-dev       # lib/ops reads STATS (header-only, fast; zd-router's JSON too)
    libcpp-httplib-dev  # lib/ops: the --metrics HTTP server
    prometheus          # promtool check metrics, in tests/ops (Debian has no promtool-only package;
                        # on a systemd host this also enables a Prometheus server on :9090)
    curl                # tests/ops scrapes /metrics as Prometheus would
    jq                  # the README's examples pipe STATS and JSON output through it
    iproute2            # ip: tests that make their own network namespace (README examples)
    systemd             # systemd-analyze verify on the unit files (dist/systemd)
    libczmq-dev         # tests/security: CZMQ's own zcert makes and loads certificates, so
                        # ours are checked against CZMQ's both ways (skipped without it)
)

# One dpkg-query for all of them; unknown packages are simply absent from its output.
installed=$(dpkg-query -W -f='${Package} ${Status}\n' "${packages[@]}" 2>/dev/null |
    awk '$2 == "install" && $3 == "ok" && $4 == "installed" { print $1 }' || true)
missing=()
for package in "${packages[@]}"; do
    grep -qxF "$package" <<<"$installed" || missing+=("$package")
done

if ((${#missing[@]} == 0)); then
    exit 0
fi

# As root apt-get runs as it is (Debian as root has no sudo); as anyone else through sudo,
# which asks for a password if it must. Only the install needs root, never the build.
as_root=()
if ((EUID != 0)); then
    if ! command -v sudo >/dev/null; then
        echo "setup.sh: missing packages: ${missing[*]}" >&2
        echo "setup.sh: run this as root, or install sudo, to install them with apt-get" >&2
        exit 1
    fi
    as_root=(sudo DEBIAN_FRONTEND=noninteractive)
fi

echo "setup.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -q
"${as_root[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"

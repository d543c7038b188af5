#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian/Ubuntu machine: system packages and the
# project's virtual environment in .venv. Called by `make test`, `make run`
# and .ci/run; safe to call again (it does nothing when all is in place).
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(mininet bridge-utils ethtool iproute2 iputils-ping tcpdump python3-venv python3-pip)
missing=()
for p in "${APT_PACKAGES[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "setup: missing system packages: ${missing[*]}; run as root (or with sudo)" >&2
        exit 1
    fi
    echo "setup: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Debian's Mininet module lives in /usr/lib/python3/dist-packages, for
# /usr/bin/python3 only: build the venv from that interpreter and let it see
# the system site-packages.
stamp=.venv/.inalab-setup
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ "$0" -nt "$stamp" ]; then
    [ -x .venv/bin/python ] || /usr/bin/python3 -m venv --system-site-packages .venv
    # torch: the CPU build (2.13.0) for the training hook's tests; pinned, so
    # pip never reaches for a CUDA build.
    # (pip's notes about this machine's unused local index folders are filtered out)
    if ! .venv/bin/pip install -q --disable-pip-version-check -e '.[dev,torch]' 2>&1 \
        | { grep -v "^WARNING: Location 'file://" || true; }; then
        echo "setup: pip install failed (see above)" >&2
        exit 1
    fi
    touch "$stamp"
fi

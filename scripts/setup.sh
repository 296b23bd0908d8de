#!/bin/sh
# Set up netsim in ./.venv on Debian/Ubuntu with Python 3.11+.
#   scripts/setup.sh          Python environment only (enough for simulation and reports)
#   scripts/setup.sh --lab    also the emulation lab's packages (FRR, strongSwan; needs root
#                             or sudo), chromium and poppler-utils for the report's browser
#                             and print tests
# Idempotent: re-running it only installs what is missing.
set -eu
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
LAB=0
[ "${1:-}" = "--lab" ] && LAB=1

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else echo "setup: need root (or sudo) to run: $*" >&2; exit 3
    fi
}

apt_install() {
    missing=""
    for pkg in "$@"; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing="$missing $pkg"
    done
    [ -z "$missing" ] && return 0
    echo "setup: installing Debian packages:$missing"
    # Keep package scripts from starting daemons in the host namespace: the lab starts
    # its own, per namespace.
    own_policy=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        as_root sh -c 'printf "#!/bin/sh\nexit 101\n" > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d'
        own_policy=1
    fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
    [ "$own_policy" = 1 ] && as_root rm -f /usr/sbin/policy-rc.d
    return 0
}

if ! command -v "$PY" >/dev/null 2>&1 || ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "setup: netsim needs Python 3.11 or newer as '$PY' (set PYTHON=...)" >&2
    exit 3
fi
if ! "$PY" -c 'import ensurepip, venv' >/dev/null 2>&1; then
    ver=$("$PY" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
    apt_install python3-venv || apt_install "python$ver-venv"
fi
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'

if [ "$LAB" = 1 ]; then
    apt_install iproute2 nftables frr strongswan-charon strongswan-swanctl \
        libcharon-extra-plugins libstrongswan-standard-plugins tcpdump iperf3 iputils-ping chromium \
        poppler-utils
fi
echo "setup: ready (.venv/bin/netsim)"

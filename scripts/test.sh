#!/bin/sh
# Set up everything the tests need, then run them all. As root, this includes the emulation
# lab's packages (FRR, strongSwan) and the lab tests; as another user, lab tests are skipped
# with the reason. Extra arguments go to pytest.
set -eu
cd "$(dirname "$0")/.."
if [ "$(id -u)" = 0 ]; then
    scripts/setup.sh --lab
else
    scripts/setup.sh
fi
exec .venv/bin/python -m pytest "$@"

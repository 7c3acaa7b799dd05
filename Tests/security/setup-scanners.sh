#!/bin/sh
# wapiti3 for test_scanners.py, in a venv of its own (it pins library versions other tools clash
# with). Idempotent: does nothing when the venv already has the pinned wapiti.
set -eu
VENV="${CUSTOS_WAPITI_VENV:-/opt/custos-wapiti}"
VERSION=3.2.3
if [ -x "$VENV/bin/wapiti" ] && "$VENV/bin/python" -m pip show wapiti3 2>/dev/null | grep -qx "Version: $VERSION"; then
  exit 0
fi
echo "Installing wapiti3 $VERSION into $VENV"
python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check "wapiti3==$VERSION"

#!/bin/sh
# Browser journeys (test_journeys.py): puts axe-core's axe.min.js in ~/.cache/custos-journeys/.
# It comes from the axe-playwright-python wheel on PyPI, downloaded without its dependencies
# (Playwright is not needed: the journeys inject the file into Chromium through Selenium).
# Idempotent: returns at once when the file is already there. CUSTOS_AXE_JS overrides the lookup.
set -eu
PYTHON="${PYTHON:-python3}"
AXE_WHEEL_VERSION="0.1.8"   # ships axe-core 4.12.1
dir="${XDG_CACHE_HOME:-$HOME/.cache}/custos-journeys"
[ -s "$dir/axe.min.js" ] && exit 0
mkdir -p "$dir"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$PYTHON" -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: \
  -d "$tmp" "axe-playwright-python==$AXE_WHEEL_VERSION"
"$PYTHON" - "$tmp" "$dir/axe.min.js" <<'PY'
import glob, sys, zipfile
wheel = glob.glob(sys.argv[1] + "/axe_playwright_python-*.whl")[0]
with zipfile.ZipFile(wheel) as z:
    data = z.read("axe_playwright_python/axe.min.js")
assert data.startswith(b"/*! axe v4."), data[:40]
open(sys.argv[2] + ".tmp", "wb").write(data)
PY
mv "$dir/axe.min.js.tmp" "$dir/axe.min.js"
echo "axe-core for the browser journeys: $dir/axe.min.js ($(head -c 16 "$dir/axe.min.js" | tr -d '/*!'))"

#!/usr/bin/env bash
# Takes the README's pictures of the live page again: runs the browser test
# (tests/test_web_page.cpp: the real `gaia-dr3 serve`, a loopback mirror,
# headless Chromium) with its screenshots going to tests/screenshots/.
#   scripts/screenshots.sh          after cmake --build build
# The PNGs are squeezed with optipng when it is installed.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x build/gaia_tests ] || { echo "screenshots: build first (cmake --build build)" >&2; exit 2; }
mkdir -p tests/screenshots
GAIA_SCREENSHOT_DIR="$PWD/tests/screenshots" \
  build/gaia_tests --test-case='web page: headless Chromium*' >/dev/null
if command -v optipng >/dev/null 2>&1; then
  optipng -quiet -o2 tests/screenshots/*.png
fi
ls -l tests/screenshots/*.png

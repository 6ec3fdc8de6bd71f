#!/bin/sh
# The main job: build if needed, then run the demo on the simulated
# hypervisor (a real tapdisk process serves a raw image to a simulated
# guest, which writes, reads back and verifies data through the ring).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/setup.sh"
exec sh "$top/tests/demo.sh" "$top/_build"

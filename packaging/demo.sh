#!/usr/bin/env bash
# README command 1: install what is missing, build, and run the kiosk in demo mode on
# embedded defaults (built-in virtual card with demo personas, embedded templates).
# With a display it opens the window; without one it walks the resident flow headless and
# writes screenshots and the filled PDFs, printing where they are. Run as root on Debian 12.
set -euo pipefail
cd "$(dirname "$0")/.."

bash tests/stack.sh install
# A debug build: several times faster to compile than release, and fast enough for a demo
# (dependencies are optimised, see Cargo.toml).
cargo build --bin madoguchi
BIN=target/debug/madoguchi

OUT=${MADOGUCHI_DEMO_OUT:-$PWD/out/demo}
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  echo "madoguchi: opening the kiosk window (demo) / デモ画面を開きます"
  exec "$BIN" kiosk --demo
fi
mkdir -p "$OUT"
exec "$BIN" kiosk --demo --headless --out "$OUT"

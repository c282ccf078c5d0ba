#!/usr/bin/env bash
# README command 1: install what is missing, build, and run madoguchi in demo mode on
# embedded defaults (built-in virtual card, no hardware). Run as root on Debian 12.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/stack.sh install
cargo build --release --bin madoguchi
BIN=target/release/madoguchi

OUT=${MADOGUCHI_DEMO_OUT:-$PWD/out/demo}
mkdir -p "$OUT"
echo "== madoguchi demo: reading every built-in persona from the virtual My Number Card =="
# Demo PINs of the fictitious personas (assets/personas/*.toml). They go through stdin,
# never the command line.
for entry in typical:1234 long-address:5678 rare-kanji:2468 foreign-resident:1357 last-try:4321 locked:9999; do
  id=${entry%%:*}; pin=${entry#*:}
  echo "-- persona: $id"
  if printf '%s\n' "$pin" | "$BIN" card read --virtual "$id" --json >"$OUT/$id.json" 2>"$OUT/$id.err"; then
    cat "$OUT/$id.json"
  else
    cat "$OUT/$id.err"
  fi
done
echo "== results written to $OUT =="

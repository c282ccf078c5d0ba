#!/usr/bin/env bash
# README command 2: install what is missing, start the real test stack, run every test,
# stop what was started (also on failure). Run as root on Debian 12.
set -euo pipefail
cd "$(dirname "$0")/.."

bash tests/stack.sh install
trap 'bash tests/stack.sh down' EXIT
bash tests/stack.sh up
eval "$(bash tests/stack.sh env)"

LOG=$(mktemp)
set +e
cargo fmt --check && cargo clippy --all-targets --quiet -- -D warnings && cargo test 2>&1 | tee "$LOG"
status=${PIPESTATUS[0]}
set -e
# One closing line with the totals over every test binary.
awk '/^test result:/ {for (i = 1; i <= NF; i++) { if ($i == "passed;") p += $(i-1); if ($i == "failed;") f += $(i-1) }}
     END { print "tests: " p+0 " passed, " f+0 " failed" }' "$LOG"
rm -f "$LOG"
exit "$status"

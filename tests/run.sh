#!/usr/bin/env bash
# README command 2: install what is missing, start the real test stack, run every test,
# stop what was started (also on failure). Run as root on Debian 12.
#
# Every step runs even when an earlier one failed (fmt, clippy, each test binary:
# `--no-fail-fast`), so one failure never hides another; the exit code is non-zero when
# any step failed. The last line is the totals over every test binary.
set -euo pipefail
cd "$(dirname "$0")/.."

bash tests/stack.sh install
WATCH=
cleanup() {
  local rc=$?
  # errexit is still on in this trap: a status here (the watchdog's 143 after the kill)
  # must not replace the run's own exit code or skip `down`.
  set +e
  if [ -n "$WATCH" ]; then kill "$WATCH" 2>/dev/null; wait "$WATCH" 2>/dev/null; fi
  bash tests/stack.sh down
  exit "$rc"
}
trap cleanup EXIT
bash tests/stack.sh up
eval "$(bash tests/stack.sh env)"
# A daemon that dies during the run is named when it happens and started again.
bash tests/stack.sh watch &
WATCH=$!

LOG=$(mktemp)
# The tests' temp files go to a directory of their own, so the personal-data sweep below
# sees what they left behind (world-traversable: the packaging test runs the installed
# binary as the service user in temp dirs below it).
SUITE_TMP=$(mktemp -d /tmp/madoguchi-suite.XXXXXX)
chmod 1777 "$SUITE_TMP"
failed=()
set +e
cargo fmt --check || failed+=("cargo fmt --check")
cargo clippy --all-targets --quiet -- -D warnings || failed+=("cargo clippy")
TMPDIR=$SUITE_TMP cargo test --no-fail-fast 2>&1 | tee "$LOG"
[ "${PIPESTATUS[0]}" -eq 0 ] || failed+=("cargo test")
bash tests/stack.sh deaths || failed+=("the test stack (a daemon died)")
# Every file the suite wrote: its output, the temp dirs, the stack's logs and printer spool,
# CUPS's spool, job history and logs, and anything left in the work tree's var/.
bash tests/pii_sweep.sh "$LOG" "$SUITE_TMP" /tmp/madoguchi-stack /var/spool/cups /var/log/cups var \
  || failed+=("personal-data sweep (tests/pii_sweep.sh)")
rm -rf "$SUITE_TMP"
set -e

[ ${#failed[@]} -eq 0 ] || echo "failed: ${failed[*]}"
# Totals over every test binary. A binary that died (signal, abort) prints no
# "test result:" line: it is counted from cargo's "Running" lines and reported.
awk '/^ *Running / { bins++ }
     /^test result:/ { ran++; for (i = 1; i <= NF; i++) { if ($i == "passed;") p += $(i-1); if ($i == "failed;") f += $(i-1) } }
     END { line = "tests: " p+0 " passed, " f+0 " failed"
           if (bins > ran) line = line ", " bins - ran " of " bins " test binaries ended without a result (crashed)"
           print line }' "$LOG"
rm -f "$LOG"
[ ${#failed[@]} -eq 0 ]

#!/usr/bin/env bash
# README command 2: install what is missing, start the real test stack, run every test,
# stop what was started (also on failure). Run as root on Debian 12.
set -euo pipefail
cd "$(dirname "$0")/.."

bash tests/stack.sh install
trap 'bash tests/stack.sh down' EXIT
bash tests/stack.sh up
eval "$(bash tests/stack.sh env)"

set +e
cargo fmt --check && cargo clippy --all-targets --quiet -- -D warnings && cargo test
status=$?
set -e
exit "$status"

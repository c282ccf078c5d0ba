#!/usr/bin/env bash
# Our per-form PDF render against the peer, pdfme 6 rendering the same 住民票の写し等交付請求書
# (persona typical, preview answers, IPAex fonts subset), side by side in one run: three
# alternating rounds, each side's median per form, the ratio per round and its median. Only the
# ratio means something on a shared machine.
#
# Usage: bash tests/benches/pdf_vs_pdfme.sh PEER_DIR
#   PEER_DIR: the peer benchmark folder (bench.mjs, package-lock.json …); it is copied, not written.
# Needs Node ≥ 20 and npm (the peer's pinned packages are installed into the copy).
set -euo pipefail
PEER=${1:?usage: $0 PEER_DIR (the pdfme benchmark folder)}
cd "$(dirname "$0")/../.."
ROUNDS=${ROUNDS:-3}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$PEER"/. "$work/peer"
(cd "$work/peer" && npm ci --silent --no-audit --no-fund >/dev/null)
cargo bench --bench forms_render --no-run -q 2>/dev/null

ours_ms() {
  # criterion keeps its estimates in JSON; the median is the figure compared.
  cargo bench -q --bench forms_render -- --noplot --warm-up-time 2 --measurement-time 8 'forms_render/juminhyo$' \
    >"$work/ours.txt" 2>&1
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["median"]["point_estimate"] / 1e6)' \
    target/criterion/forms_render/juminhyo/new/estimates.json
}
peer_ms() {
  (cd "$work/peer" && node bench.mjs 200 >"$work/peer.txt")
  # "  wall ms/form: median 88.12  p90 …"
  awk '/wall ms\/form:/ { for (i = 1; i <= NF; i++) if ($i == "median") print $(i+1) }' "$work/peer.txt"
}

ratios=()
for r in $(seq "$ROUNDS"); do
  o=$(ours_ms); p=$(peer_ms)
  ratio=$(python3 -c "print(f'{$p / $o:.1f}')")
  ratios+=("$ratio")
  printf 'round %s: madoguchi %.2f ms/form, pdfme %.2f ms/form (wall medians): pdfme/madoguchi = %s\n' "$r" "$o" "$p" "$ratio"
done
our_size=$(awk '/pdf size juminhyo/ { print $4 }' "$work/ours.txt")
peer_size=$(awk '/pdf size:/ { print $3 }' "$work/peer.txt")
median=$(printf '%s\n' "${ratios[@]}" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
echo "median ratio over $ROUNDS rounds: madoguchi renders a form $median× faster than pdfme (target ≥ 10×)"
echo "PDF size: madoguchi ${our_size:-?} bytes, pdfme ${peer_size:-?} bytes (target: not larger)"

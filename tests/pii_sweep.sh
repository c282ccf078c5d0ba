#!/usr/bin/env bash
# Personal-data sweep: after the test suite, look through every file the suite
# wrote for the demo personas' personal data (assets/personas/*.toml) and the output tests'
# fixture resident (tests/it/support/output_support/mod.rs): name (as written and
# with a full-width or no space), address (as written, and with ASCII digits), birth date
# (ISO, 1985/04/12, 1985年4月12日, 和暦) and 個人番号 (plain and in groups of four).
#
#   bash tests/pii_sweep.sh PATH...     (files or directories; missing ones are skipped)
#
# A hit fails the sweep and names the file and which persona's what (never the value),
# unless the file is one of the places meant to hold personal data:
#   - printed PDFs: *.pdf, and CUPS's document files /var/spool/cups/d* (the forms as
#     printed; PDF text is usually compressed, so these rarely match anyway);
#   - export spools as configured by a test: *.json / *.csv in a directory named export* or
#     spool* (outside /var/spool/cups).
# The outbox (*.sqlite3, -wal, -shm) is NOT such a place: its personal data is encrypted,
# so a hit there is a failure like any other. Exit status: 0 clean, 1 hits, 2 usage.
set -uo pipefail
cd "$(dirname "$0")/.."

[ $# -gt 0 ] || { echo "usage: $0 PATH..." >&2; exit 2; }
export LC_ALL=C.UTF-8

needles=$(mktemp)
labels=$(mktemp)
trap 'rm -f "$needles" "$labels"' EXIT
add() { # label value
  [ -n "$2" ] || return 0
  printf '%s\n' "$2" >>"$needles"
  printf '%s\n' "$1" >>"$labels"
}
field() { sed -n "s/^$1 *= *\"\(.*\)\"/\1/p" "$2" | head -1; }
to_ascii_digits() { sed 'y/０１２３４５６７８９/0123456789/'; }

for f in assets/personas/*.toml; do
  id=$(field id "$f")
  name=$(field name "$f")
  address=$(field address "$f")
  birth=$(field birth_date "$f")
  number=$(field my_number "$f")
  add "$id: name" "$name"
  add "$id: name" "${name// /　}"
  add "$id: name" "${name// /}"
  add "$id: address" "$address"
  add "$id: address" "$(printf '%s' "$address" | to_ascii_digits)"
  if [[ $birth =~ ^([0-9]{4})-([0-9]{2})-([0-9]{2})$ ]]; then
    y=${BASH_REMATCH[1]} m=$((10#${BASH_REMATCH[2]})) d=$((10#${BASH_REMATCH[3]})) ymd=${y}${BASH_REMATCH[2]}${BASH_REMATCH[3]}
    add "$id: birth date" "$birth"
    add "$id: birth date" "$y/${BASH_REMATCH[2]}/${BASH_REMATCH[3]}"
    add "$id: birth date" "${y}年${m}月${d}日"
    if ((ymd >= 20190501)); then era=令和 base=2018
    elif ((ymd >= 19890108)); then era=平成 base=1988
    elif ((ymd >= 19261225)); then era=昭和 base=1925
    else era=大正 base=1911; fi
    n=$((10#$y - base))
    if ((n == 1)); then add "$id: birth date" "${era}元年${m}月${d}日"; fi
    add "$id: birth date" "${era}${n}年${m}月${d}日"
  fi
  add "$id: 個人番号" "$number"
  [ ${#number} -eq 12 ] && add "$id: 個人番号" "${number:0:4} ${number:4:4} ${number:8:4}"
done

# The output layer's tests use a fixture resident of their own (NAME, ADDRESS, MY_NUMBER in
# tests/it/support/output_support/mod.rs): swept for in the same way.
fixture=tests/it/support/output_support/mod.rs
const() { sed -n "s/^pub const $1: &str = \"\(.*\)\";/\1/p" "$fixture" | head -1; }
if [ -f "$fixture" ]; then
  name=$(const NAME) address=$(const ADDRESS) number=$(const MY_NUMBER)
  add "output fixture: name" "$name"
  add "output fixture: name" "${name// /}"
  add "output fixture: address" "$address"
  add "output fixture: 個人番号" "$number"
fi

allowed() { # path
  case "$1" in
    *.pdf) return 0 ;;
    /var/spool/cups/d*) return 0 ;;
    /var/spool/cups/*) return 1 ;;
  esac
  case "$1" in
    *.json | *.csv)
      local parent; parent=$(basename "$(dirname "$1")")
      case "$parent" in export* | spool*) return 0 ;; esac ;;
  esac
  return 1
}

hits=0 allowed_hits=0 scanned=0
for root in "$@"; do
  [ -e "$root" ] || continue
  while IFS= read -r -d '' file; do
    scanned=$((scanned + 1))
    grep -qaF -f "$needles" "$file" 2>/dev/null || continue
    if allowed "$file"; then
      allowed_hits=$((allowed_hits + 1))
      continue
    fi
    what=$(paste -d '\t' "$labels" "$needles" | while IFS=$'\t' read -r label needle; do
      grep -qaF -- "$needle" "$file" && { echo "$label"; break; }
    done)
    echo "personal data in $file ($what)" >&2
    hits=$((hits + 1))
  done < <(find "$root" -xdev -type f -print0 2>/dev/null)
done

echo "personal-data sweep: $scanned files, $hits with personal data outside their places, $allowed_hits in printed PDFs / export spools"
[ "$hits" -eq 0 ]

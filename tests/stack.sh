#!/usr/bin/env bash
# The real test stack: pcscd + vsmartcard vpcd, D-Bus, ippeveprinter, cupsd with a queue.
# Usage: tests/stack.sh install|up|down|status|env|watch|deaths
# Debian 12, root, no systemd: every daemon is started here in the foreground or forked, never by a service manager.
set -euo pipefail

RUN=${MADOGUCHI_STACK_DIR:-/tmp/madoguchi-stack}
IPP_PORT=${MADOGUCHI_IPP_PORT:-8631}
# --- pre-input page: chromedriver for the real-browser tests ---
CHROMEDRIVER_PORT=${MADOGUCHI_CHROMEDRIVER_PORT:-9515}
# The daemons `up` starts, in the order `down` stops them.
DAEMONS=(chromedriver cupsd ippeveprinter pcscd dbus)
SPOOL=$RUN/ipp-spool

# Every Debian package the build and the tests need. Add new ones here (one line each).
PACKAGES=(
  build-essential pkg-config ca-certificates
  pcscd libpcsclite-dev vsmartcard-vpcd pcsc-tools opensc
  dbus cups cups-client cups-daemon cups-ipp-utils
  poppler-utils qpdf
  fonts-ipaexfont-gothic fonts-ipaexfont-mincho fonts-noto-cjk
  libfontconfig1-dev libfreetype-dev
  # --- packaging: the .deb's dependencies, the kiosk compositor, systemd-analyze ---
  libccid adduser cage libpam-systemd xwayland grim libwayland-egl1 libwayland-cursor0 libxkbcommon0 systemd
  # --- pre-input page and statistics report: a real browser, its WebDriver, an independent QR decoder ---
  chromium chromium-driver zbar-tools
)
# axe-core (accessibility rules) from the npm registry, installed at test time into the
# stack's own prefix and never committed; npm itself comes with Node.js (Debian's nodejs/npm).
AXE_CORE_VERSION=4.14.1
NPM_PREFIX=$RUN/npm
# --- packaging: cargo-deb builds the .deb in tests/it/packaging/deb.rs ---
CARGO_DEB_VERSION=3.8.0

# A CUPS backend that behaves like a printer out of paper: it reports media-empty and exits
# with CUPS_BACKEND_STOP, so cupsd stops the queue and keeps the job (tests of resuming a job).
PAPEROUT_BACKEND=/usr/lib/cups/backend/madoguchi-paperout

# The packages a failure report must name (printed by `install`).
REPORTED=(cups-daemon cups-ipp-utils pcscd libpcsclite1 vsmartcard-vpcd libccid opensc poppler-utils chromium chromium-driver zbar-tools)

log() { echo "[stack] $*" >&2; }
wait_for() { local n=$(( $1 * 20 )); shift; for _ in $(seq "$n"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.05; done; log "timeout waiting for: $*"; return 1; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
alive() { [ -e "/proc/$1" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }

install() {
  if ! command -v cargo >/dev/null 2>&1; then
    echo "cargo (Rust >= 1.92) is required: install the Rust toolchain first / Rust ツールチェーンを先に入れてください" >&2
    exit 1
  fi
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    log "all packages present"
  else
    log "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  install_axe
  versions
}

install_axe() {
  if [ -f "$NPM_PREFIX/node_modules/axe-core/axe.min.js" ] && grep -qF "\"version\": \"$AXE_CORE_VERSION\"" "$NPM_PREFIX/node_modules/axe-core/package.json" 2>/dev/null; then
    return 0
  fi
  if ! command -v npm >/dev/null 2>&1; then
    log "installing npm"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm >/dev/null
  fi
  log "installing axe-core $AXE_CORE_VERSION into $NPM_PREFIX"
  mkdir -p "$NPM_PREFIX"
  npm install --silent --no-audit --no-fund --prefix "$NPM_PREFIX" "axe-core@$AXE_CORE_VERSION" >/dev/null
}

# What the run is made of, so a failure report says which packages it ran on.
versions() {
  local line
  line=$(dpkg-query -W -f='${Package} ${Version}, ' "${REPORTED[@]}" 2>/dev/null || true)
  log "versions: ${line%, }"
}

up() {
  mkdir -p "$RUN" "$SPOOL"
  # PC/SC: pcscd in the foreground with the vpcd driver (slots on TCP 35963/35964).
  if ! pcsc_scan -r >/dev/null 2>&1; then
    rm -f /run/pcscd/pcscd.comm /run/pcscd/pcscd.pid   # stale after a crash or kill -9
    pcscd --foreground >"$RUN/pcscd.log" 2>&1 & echo $! >"$RUN/pcscd.pid"
  fi
  wait_for 10 pcsc_scan -r
  # D-Bus system bus: ippeveprinter refuses to start without one.
  if ! dbus-send --system --print-reply --dest=org.freedesktop.DBus / org.freedesktop.DBus.GetId >/dev/null 2>&1; then
    mkdir -p /run/dbus; rm -f /run/dbus/pid /run/dbus/system_bus_socket
    dbus-daemon --system --fork --print-pid >"$RUN/dbus.pid"
  fi
  # IPP Everywhere printer simulator on loopback; every job kept in $SPOOL.
  if ! ipptool -q "ipp://localhost:$IPP_PORT/ipp/print" get-printer-attributes.test >/dev/null 2>&1; then
    ippeveprinter -r off -n localhost -p "$IPP_PORT" -d "$SPOOL" -k -c /bin/true \
      -f application/pdf,image/pwg-raster,image/urf -v KioskSim >"$RUN/ippeveprinter.log" 2>&1 &
    echo $! >"$RUN/ippeveprinter.pid"
  fi
  wait_for 10 ipptool -q "ipp://localhost:$IPP_PORT/ipp/print" get-printer-attributes.test
  # CUPS with a queue "kiosk" pointing at the simulator.
  if ! lpstat -r 2>/dev/null | grep -q "is running"; then
    cupsd -f >"$RUN/cupsd.log" 2>&1 & echo $! >"$RUN/cupsd.pid"
  fi
  wait_for 10 sh -c 'lpstat -r | grep -q "is running"'
  lpadmin -p kiosk -E -v "ipp://localhost:$IPP_PORT/ipp/print" -m everywhere
  # cupsd makes its self-signed certificate on the first TLS connection; make it now so
  # the ipps:// tests can trust it (see env_vars).
  wait_for 10 ipptool -q ipps://localhost:631/printers/kiosk get-printer-attributes.test
  cat >"$PAPEROUT_BACKEND" <<'SH'
#!/bin/sh
if [ $# -eq 0 ]; then echo 'direct madoguchi-paperout "Unknown" "madoguchi test: out of paper"'; exit 0; fi
cat >/dev/null
echo "STATE: +media-empty-error" >&2
echo "ERROR: out of paper (madoguchi test backend)" >&2
exit 4
SH
  chmod 0700 "$PAPEROUT_BACKEND"
  # WebDriver for the pre-input page's browser tests (Chromium is started per test session).
  if ! port_open "$CHROMEDRIVER_PORT"; then
    chromedriver --port="$CHROMEDRIVER_PORT" >"$RUN/chromedriver.log" 2>&1 & echo $! >"$RUN/chromedriver.pid"
  fi
  wait_for 10 port_open "$CHROMEDRIVER_PORT"
  log "up: pcscd, dbus, ippeveprinter (ipp://localhost:$IPP_PORT/ipp/print), cupsd (queue kiosk), chromedriver (:$CHROMEDRIVER_PORT)"
}

down() {
  lpadmin -x kiosk 2>/dev/null || true   # before cupsd stops, or the queue outlives it
  for p in "${DAEMONS[@]}"; do
    [ -f "$RUN/$p.pid" ] || continue
    pid=$(cat "$RUN/$p.pid"); kill "$pid" 2>/dev/null || true
    for _ in $(seq 100); do alive "$pid" || break; sleep 0.05; done
    alive "$pid" && kill -9 "$pid" 2>/dev/null || true
    rm -f "$RUN/$p.pid"
  done
  rm -f /run/dbus/pid "$PAPEROUT_BACKEND"
  :  # quiet: the test totals line stays the last line of the output
}

# Watchdog for the daemons `up` started (one *.pid file each in $RUN): a daemon that dies
# while the tests run is named at once (and in `deaths` at the end), its log is kept, and
# it is started again so the tests after it meet a working stack instead of failing for
# an unrelated reason. Runs until killed. MADOGUCHI_STACK_RESTART=0: report only.
watch() {
  local interval=${MADOGUCHI_STACK_WATCH_INTERVAL:-0.5} f name pid kept msg kernel
  : >"$RUN/deaths"
  while :; do
    # Only the daemons this script starts: another pid file in $RUN is not ours to judge.
    for name in "${DAEMONS[@]}"; do
      f="$RUN/$name.pid"
      [ -f "$f" ] || continue
      pid=$(cat "$f" 2>/dev/null) || continue
      [ -n "$pid" ] && ! alive "$pid" || continue
      rm -f "$f"
      kept="$RUN/$name.died-$(date +%H%M%S).log"
      [ -f "$RUN/$name.log" ] && cp "$RUN/$name.log" "$kept" || kept="$RUN/$name.log"
      msg="$name died during the tests (pid $pid); see $kept / テスト中に $name が停止しました。ログ: $kept"
      # A segfault leaves a kernel line (not readable in every container).
      kernel=$(dmesg 2>/dev/null | grep -F "$name[$pid]" | tail -n 1 || true)
      [ -n "$kernel" ] && msg="$msg (kernel: $kernel)"
      echo "$msg" >>"$RUN/deaths"
      log "$msg"
      if [ "${MADOGUCHI_STACK_RESTART:-1}" = 1 ]; then
        if up >>"$RUN/restart.log" 2>&1; then log "$name started again"; else log "$name could not be started again; see $RUN/restart.log"; fi
      fi
    done
    sleep "$interval"
  done
}

# Every death the watchdog saw; exit 1 when there was one.
deaths() {
  [ -s "$RUN/deaths" ] || return 0
  sed 's/^/[stack] /' "$RUN/deaths" >&2
  return 1
}

status() {
  pcsc_scan -r 2>/dev/null || echo "pcscd: not running"
  ipptool -q "ipp://localhost:$IPP_PORT/ipp/print" get-printer-attributes.test 2>/dev/null && echo "ippeveprinter: up" || echo "ippeveprinter: down"
  lpstat -r 2>/dev/null || echo "cupsd: not running"
  port_open "$CHROMEDRIVER_PORT" && echo "chromedriver: up" || echo "chromedriver: down"
}

# Environment the tests read (printed by `env`, sourced by tests/run.sh).
env_vars() {
  echo "export MADOGUCHI_TEST_STACK=1"
  echo "export MADOGUCHI_TEST_IPP_URI=ipp://localhost:$IPP_PORT/ipp/print"
  echo "export MADOGUCHI_TEST_CUPS_URI=ipp://localhost:631/printers/kiosk"
  echo "export MADOGUCHI_TEST_IPP_SPOOL=$SPOOL"
  echo "export MADOGUCHI_TEST_CUPS_IPPS_URI=ipps://localhost:631/printers/kiosk"
  # cupsd's self-signed certificate (named after the host; made by `up`).
  echo "export MADOGUCHI_TEST_CUPS_CERT=$(ls -t /etc/cups/ssl/*.crt 2>/dev/null | head -n 1)"
  echo "export MADOGUCHI_TEST_CHROMEDRIVER=http://127.0.0.1:$CHROMEDRIVER_PORT"
  echo "export MADOGUCHI_TEST_AXE=$NPM_PREFIX/node_modules/axe-core/axe.min.js"
}

# Idempotent and cheap when the pinned version is already there.
install_cargo_deb() {
  if cargo deb --version 2>/dev/null | grep -qF "$CARGO_DEB_VERSION"; then return 0; fi
  log "installing cargo-deb $CARGO_DEB_VERSION"
  cargo install --locked --quiet "cargo-deb@$CARGO_DEB_VERSION"
}

case "${1:-}" in
  install) install; install_cargo_deb ;;
  watch) watch ;;
  deaths) deaths ;;
  up) up ;;
  down) down ;;
  status) status ;;
  env) env_vars ;;
  *) echo "usage: $0 install|up|down|status|env|watch|deaths" >&2; exit 2 ;;
esac

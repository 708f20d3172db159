#!/usr/bin/env bash
# Make a Chromium for Conclave's browser test (test/browser/*) available.
#
#   bash scripts/install-chromium.sh          # report if present, else install (root + apt-get)
#   bash scripts/install-chromium.sh --check  # only report; exit 1 if missing
#
# Found when CONCLAVE_CHROMIUM (path of a chromium binary) is executable, or /usr/bin/chromium
# exists. Otherwise, as root with apt-get, installs Debian's `chromium` package. Playwright never
# downloads a browser: the test drives this one through playwright-core.
set -euo pipefail

check_only=0
for arg in "$@"; do
  case "$arg" in
    --check) check_only=1 ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install-chromium: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

find_chromium() {
  local bin="${CONCLAVE_CHROMIUM:-/usr/bin/chromium}"
  [[ -x "$bin" ]] || return 1
  echo "$bin"
}

if bin="$(find_chromium)"; then
  echo "install-chromium: found $bin ($("$bin" --version 2>/dev/null | head -n 1))"
  exit 0
fi

if (( check_only )); then
  echo "install-chromium: chromium not found; run: bash scripts/install-chromium.sh" >&2
  exit 1
fi

if [[ "$(id -u)" -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
  cat >&2 <<'MSG'
install-chromium: chromium not found and cannot install it here (needs root and apt-get).
Run, as root on Debian/Ubuntu:
  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium
or point CONCLAVE_CHROMIUM at a Chromium/Chrome binary.
MSG
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends chromium fonts-liberation

if ! bin="$(find_chromium)"; then
  echo "install-chromium: installed chromium but ${CONCLAVE_CHROMIUM:-/usr/bin/chromium} is still missing" >&2
  exit 1
fi
echo "install-chromium: installed $bin ($("$bin" --version 2>/dev/null | head -n 1))"

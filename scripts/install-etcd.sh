#!/usr/bin/env bash
# Make etcd + etcdctl (v3.4+) available for Conclave's tests and benchmarks.
#
#   bash scripts/install-etcd.sh          # report if present, else install (root + apt-get)
#   bash scripts/install-etcd.sh --check  # only report; exit 1 if missing
#
# Found when ETCD_BIN (path of the etcd binary, etcdctl beside it or on PATH) is executable,
# or when etcd and etcdctl are on PATH. Otherwise, as root with apt-get, installs Debian's
# etcd-server and etcd-client without letting the package start any service.
set -euo pipefail

check_only=0
for arg in "$@"; do
  case "$arg" in
    --check) check_only=1 ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install-etcd: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

# Prints "etcd=<path> etcdctl=<path>" and returns 0 when both are found.
find_etcd() {
  local etcd="" etcdctl=""
  if [[ -n "${ETCD_BIN:-}" ]]; then
    [[ -f "$ETCD_BIN" && -x "$ETCD_BIN" ]] || return 1
    etcd="$ETCD_BIN"
    if [[ -x "$(dirname "$ETCD_BIN")/etcdctl" ]]; then
      etcdctl="$(dirname "$ETCD_BIN")/etcdctl"
    else
      etcdctl="$(command -v etcdctl || true)"
    fi
  else
    etcd="$(command -v etcd || true)"
    etcdctl="$(command -v etcdctl || true)"
  fi
  [[ -n "$etcd" && -n "$etcdctl" ]] || return 1
  echo "etcd=$etcd etcdctl=$etcdctl"
}

report_found() {
  echo "install-etcd: found $1"
  local etcd="${1#etcd=}"
  etcd="${etcd%% etcdctl=*}"
  # sed reads all of it: with `head`, etcd could die of SIGPIPE and fail the script (pipefail).
  "$etcd" --version | sed -n 1p
}

if found="$(find_etcd)"; then
  report_found "$found"
  exit 0
fi

if [[ -n "${ETCD_BIN:-}" ]]; then
  echo "install-etcd: ETCD_BIN=$ETCD_BIN is not an executable etcd (or etcdctl is missing)" >&2
fi

if (( check_only )); then
  echo "install-etcd: etcd/etcdctl not found; run: bash scripts/install-etcd.sh" >&2
  exit 1
fi

if [[ "$(id -u)" -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
  cat >&2 <<'MSG'
install-etcd: etcd/etcdctl not found and cannot install them here (needs root and apt-get).
Run, as root on Debian/Ubuntu:
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d  # only if absent
  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends etcd-server etcd-client
  rm /usr/sbin/policy-rc.d   # only if you created it
or point ETCD_BIN at an etcd 3.4+ binary (with etcdctl beside it or on PATH).
MSG
  exit 1
fi

# Keep the package from starting an etcd service: policy-rc.d exit 101 = "action forbidden".
policy=/usr/sbin/policy-rc.d
created_policy=0
cleanup() {
  if (( created_policy )); then rm -f "$policy"; fi
}
trap cleanup EXIT
if [[ ! -e "$policy" ]]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy"
  chmod 755 "$policy"
  created_policy=1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends etcd-server etcd-client

if ! found="$(find_etcd)"; then
  echo "install-etcd: installed etcd-server/etcd-client but etcd or etcdctl is still not found" >&2
  exit 1
fi
etcd --version
report_found "$found"

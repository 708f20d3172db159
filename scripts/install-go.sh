#!/usr/bin/env bash
# Make Go and the sources of etcd's Go client (3.4) available for Conclave's Go interop tests
# (test/interop/go-*.test.ts build a small driver from test/interop/go/ at test setup).
#
#   bash scripts/install-go.sh          # report if present, else install (root + apt-get)
#   bash scripts/install-go.sh --check  # only report; exit 1 if missing
#
# Found when `go` (or CONCLAVE_GO, the path of a go binary) is executable and the GOPATH tree
# CONCLAVE_GOCODE (default /usr/share/gocode) holds go.etcd.io/etcd/clientv3/concurrency and
# contrib/recipes. Otherwise, as root with apt-get, installs Debian's golang-go and
# golang-etcd-server-dev (etcd's sources with their dependencies, built in GOPATH mode).
set -euo pipefail

check_only=0
for arg in "$@"; do
  case "$arg" in
    --check) check_only=1 ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install-go: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

gocode="${CONCLAVE_GOCODE:-/usr/share/gocode}"

# Prints "go=<path> gocode=<dir>" and returns 0 when both are found.
find_go() {
  local go="${CONCLAVE_GO:-}"
  if [[ -n "$go" ]]; then
    [[ -f "$go" && -x "$go" ]] || return 1
  else
    go="$(command -v go || true)"
  fi
  [[ -n "$go" ]] || return 1
  [[ -d "$gocode/src/go.etcd.io/etcd/clientv3/concurrency" && -d "$gocode/src/go.etcd.io/etcd/contrib/recipes" ]] || return 1
  echo "go=$go gocode=$gocode"
}

report_found() {
  echo "install-go: found $1"
  local go="${1#go=}"
  go="${go%% gocode=*}"
  "$go" version
}

if found="$(find_go)"; then
  report_found "$found"
  exit 0
fi

if [[ -n "${CONCLAVE_GO:-}" ]]; then
  echo "install-go: CONCLAVE_GO=$CONCLAVE_GO is not an executable go (or $gocode lacks etcd's client sources)" >&2
fi

if (( check_only )); then
  echo "install-go: go or etcd's Go client sources not found; run: bash scripts/install-go.sh" >&2
  exit 1
fi

if [[ "$(id -u)" -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
  cat >&2 <<'MSG'
install-go: go or etcd's Go client sources not found and cannot install them here (needs root and apt-get).
Run, as root on Debian/Ubuntu:
  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends golang-go golang-etcd-server-dev
or point CONCLAVE_GO at a go binary and CONCLAVE_GOCODE at a GOPATH tree holding go.etcd.io/etcd (3.4) and its dependencies.
MSG
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends golang-go golang-etcd-server-dev

if ! found="$(find_go)"; then
  echo "install-go: installed golang-go/golang-etcd-server-dev but go or $gocode/src/go.etcd.io/etcd is still missing" >&2
  exit 1
fi
report_found "$found"

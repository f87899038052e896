#!/usr/bin/env bash
# A single-drive MinIO server built from source with `go install`, for development
# and tests.
#
#   deploy/dev/minio.sh provision      build it into .cache/minio (needs Go)
#   deploy/dev/minio.sh start DIR      start a server keeping its data in DIR; prints
#                                      its endpoint (127.0.0.1:PORT)
#   deploy/dev/minio.sh stop DIR       stop it; start DIR again reuses data and port
#
# The access key and secret come from MINIO_ROOT_USER / MINIO_ROOT_PASSWORD
# (defaults below, for loopback-only test servers).
set -euo pipefail
source "$(dirname "$0")/common.sh"

# MinIO publishes no semantic-version tags, so the pin is a Go pseudo-version: the
# commit of 2026-02-12 on its main branch.
MINIO_VERSION="v0.0.0-20260212201848-7aac2a2c5b7c"
BIN="$CACHE/minio/$MINIO_VERSION/minio"
export MINIO_ROOT_USER="${MINIO_ROOT_USER:-runstream}"
export MINIO_ROOT_PASSWORD="${MINIO_ROOT_PASSWORD:-runstream-dev-secret}"

provision() {
  [[ -x "$BIN" ]] && return 0
  command -v go >/dev/null || die "Go is missing: install Go 1.24 or newer"
  mkdir -p "$(dirname "$BIN")"
  # -trimpath keeps local paths out of the binary; the build takes a few minutes
  # the first time and seconds once Go's module and build caches are warm.
  GOBIN="$(dirname "$BIN")" GOFLAGS=-trimpath \
    go install "github.com/minio/minio@$MINIO_VERSION"
}

start() {
  local dir=$1 port console pid
  [[ -x "$BIN" ]] || die "MinIO is not provisioned: run $0 provision"
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  if [[ -f "$dir/minio.pid" ]] && kill -0 "$(cat "$dir/minio.pid")" 2>/dev/null; then
    echo "127.0.0.1:$(cat "$dir/minio.port")"
    return 0
  fi
  if [[ -f "$dir/minio.port" ]]; then
    port="$(cat "$dir/minio.port")"
  else
    port="$(free_port)"
    echo "$port" >"$dir/minio.port"
  fi
  console="$(free_port)"
  MINIO_BROWSER=off MINIO_UPDATE=off nohup "$BIN" server "$dir/data" --quiet \
    --address "127.0.0.1:$port" --console-address "127.0.0.1:$console" \
    >>"$dir/minio.log" 2>&1 &
  pid=$!
  echo "$pid" >"$dir/minio.pid"
  if ! wait_for_port "$port" 60 "$pid"; then
    tail -20 "$dir/minio.log" >&2
    die "MinIO did not start; see $dir/minio.log"
  fi
  echo "127.0.0.1:$port"
}

case "${1:-}" in
  provision) provision ;;
  start) start "${2:?give the data folder of the server}" ;;
  stop) stop_pid "${2:?give the data folder of the server}/minio.pid" ;;
  *) die "usage: $0 provision | start DIR | stop DIR" ;;
esac

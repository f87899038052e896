# Helpers shared by the scripts that run real servers for development and tests.
# Sourced, not run. Every server binds 127.0.0.1 only.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# Downloads and builds live here (git-ignored), so a second run starts in seconds.
CACHE="${RUNSTREAM_DEV_CACHE:-$ROOT/.cache}"

die() {
  echo "$(basename "$0"): $*" >&2
  exit 1
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_for_port PORT SECONDS PID: until something listens on PORT, or PID dies.
wait_for_port() {
  local port=$1 seconds=$2 pid=$3 tries
  tries=$((seconds * 10))
  for _ in $(seq 1 "$tries"); do
    if ! kill -0 "$pid" 2>/dev/null; then
      return 1
    fi
    if python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" \
        2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  return 1
}

# stop_pid FILE: SIGTERM the process FILE names, SIGKILL it after 30 s.
stop_pid() {
  local file=$1 pid
  [[ -f "$file" ]] || return 0
  pid="$(cat "$file")"
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 300); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}

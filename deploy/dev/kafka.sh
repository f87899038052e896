#!/usr/bin/env bash
# A single-node Apache Kafka broker (KRaft) from Maven Central jars, for development
# and tests.
#
#   deploy/dev/kafka.sh provision      fetch the jars into .cache/kafka (needs Maven)
#   deploy/dev/kafka.sh start DIR      start a broker keeping its data in DIR; prints
#                                      its bootstrap address (127.0.0.1:PORT)
#   deploy/dev/kafka.sh stop DIR       stop it; start DIR again reuses data and port
set -euo pipefail
source "$(dirname "$0")/common.sh"

LIBS="$CACHE/kafka/libs"
POM="$ROOT/deploy/dev/kafka-pom.xml"

provision() {
  command -v java >/dev/null || die "Java is missing: apt-get install -y default-jre-headless"
  if [[ -f "$LIBS/.complete" && "$LIBS/.complete" -nt "$POM" ]]; then
    return 0
  fi
  command -v mvn >/dev/null || die "Maven is missing: apt-get install -y maven"
  rm -rf "$LIBS"
  mvn -q -B -Dstyle.color=never -f "$POM" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$LIBS"
  touch "$LIBS/.complete"
}

java_cmd() {
  java -Xms128m -Xmx512m -XX:+UseG1GC -XX:TieredStopAtLevel=1 \
    -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$LIBS/*" "$@"
}

write_config() {
  local dir=$1 port=$2 controller=$3
  cat >"$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$dir/data
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=2
PROPS
}

start() {
  local dir=$1 port controller pid
  [[ -f "$LIBS/.complete" ]] || die "Kafka is not provisioned: run $0 provision"
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  if [[ -f "$dir/kafka.pid" ]] && kill -0 "$(cat "$dir/kafka.pid")" 2>/dev/null; then
    echo "127.0.0.1:$(cat "$dir/kafka.port")"
    return 0
  fi
  # The same ports on a restart, so clients that knew the broker find it again.
  if [[ -f "$dir/kafka.port" ]]; then
    port="$(cat "$dir/kafka.port")"
    controller="$(cat "$dir/kafka.controller-port")"
  else
    port="$(free_port)"
    controller="$(free_port)"
    echo "$port" >"$dir/kafka.port"
    echo "$controller" >"$dir/kafka.controller-port"
  fi
  write_config "$dir" "$port" "$controller"
  if [[ ! -f "$dir/data/meta.properties" ]]; then
    java_cmd kafka.tools.StorageTool format --ignore-formatted \
      -t "$(java_cmd kafka.tools.StorageTool random-uuid)" \
      -c "$dir/server.properties" >"$dir/format.log" 2>&1 \
      || die "formatting $dir/data failed; see $dir/format.log"
  fi
  nohup bash -c "exec java -Xms128m -Xmx512m -XX:+UseG1GC \
    -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp '$LIBS/*' \
    kafka.Kafka '$dir/server.properties'" >>"$dir/kafka.log" 2>&1 &
  pid=$!
  echo "$pid" >"$dir/kafka.pid"
  if ! wait_for_port "$port" 90 "$pid"; then
    tail -20 "$dir/kafka.log" >&2
    die "the broker did not start; see $dir/kafka.log"
  fi
  echo "127.0.0.1:$port"
}

case "${1:-}" in
  provision) provision ;;
  start) start "${2:?give the data folder of the broker}" ;;
  stop) stop_pid "${2:?give the data folder of the broker}/kafka.pid" ;;
  *) die "usage: $0 provision | start DIR | stop DIR" ;;
esac

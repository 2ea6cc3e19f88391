#!/usr/bin/env bash
# A real single-node Apache Kafka (KRaft: broker + controller) on 127.0.0.1:9092 without Docker, from Kafka's own
# Maven artifacts. The jars are fetched once into a cache outside the clone; data and logs live in .run/kafka.
#   scripts/kafka.sh start|stop|status|fetch
# start and stop are idempotent; start returns once the broker answers, or fails with its log.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KAFKA_VERSION=${TICKETING_KAFKA_VERSION:-4.1.1}
PORT=${TICKETING_KAFKA_PORT:-9092}
CONTROLLER_PORT=$((PORT + 1))
CACHE=${TICKETING_CACHE_DIR:-$HOME/.cache/ticketing}/kafka-$KAFKA_VERSION
RUN=${TICKETING_KAFKA_RUN_DIR:-$repo/.run/kafka}
DATA=${TICKETING_KAFKA_DATA_DIR:-$RUN/data}
TIMEOUT=${TICKETING_KAFKA_START_TIMEOUT:-120}
PIDFILE=$RUN/broker.pid
LOG=$RUN/broker.log

say() { echo "kafka.sh: $*" >&2; }

port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null
}

running_pid() {
  [[ -f $PIDFILE ]] || return 1
  local pid
  pid=$(cat "$PIDFILE")
  kill -0 "$pid" 2>/dev/null && echo "$pid"
}

fetch() {
  if [[ -f $CACHE/.complete ]]; then
    return 0
  fi
  command -v mvn >/dev/null || { say "Maven (mvn) is needed to fetch Kafka"; exit 1; }
  command -v java >/dev/null || { say "Java 17+ is needed to run Kafka"; exit 1; }
  say "fetching Apache Kafka $KAFKA_VERSION and its dependencies from Maven Central into $CACHE"
  rm -rf "$CACHE/libs"
  mkdir -p "$CACHE/libs"
  mvn -q -B -f "$repo/scripts/kafka/pom.xml" -Dkafka.version="$KAFKA_VERSION" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$CACHE/libs" >&2
  touch "$CACHE/.complete"
  say "$(ls "$CACHE/libs" | wc -l) jars cached"
}

write_properties() {
  cat >"$RUN/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$DATA
num.partitions=6
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
PROPS
}

start() {
  if pid=$(running_pid) && port_open; then
    say "already running (pid $pid) on 127.0.0.1:$PORT"
    return 0
  fi
  if port_open; then
    say "a broker started elsewhere already answers on 127.0.0.1:$PORT; using it"
    echo "127.0.0.1:$PORT"
    return 0
  fi
  fetch
  mkdir -p "$RUN" "$DATA"
  write_properties
  local cp="$CACHE/libs/*"
  if [[ ! -f $RUN/cluster-id ]]; then
    java -cp "$cp" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1 >"$RUN/cluster-id"
  fi
  # -g: a directory formatted before is fine, so re-runs keep their data.
  java -Dlog4j2.configurationFile="$repo/scripts/kafka/log4j2.xml" -cp "$cp" kafka.tools.StorageTool format \
    -t "$(cat "$RUN/cluster-id")" -c "$RUN/server.properties" --standalone -g >>"$LOG" 2>&1
  say "starting the broker on 127.0.0.1:$PORT (log: $LOG)"
  nohup setsid java -Xms256m -Xmx1g -XX:+UseG1GC -Dlog4j2.configurationFile="$repo/scripts/kafka/log4j2.xml" \
    -cp "$cp" kafka.Kafka "$RUN/server.properties" >>"$LOG" 2>&1 </dev/null &
  echo $! >"$PIDFILE"
  local waited=0
  until port_open && grep -q "Kafka Server started" "$LOG"; do
    if ! running_pid >/dev/null; then
      say "the broker exited; last log lines:"
      tail -n 30 "$LOG" >&2
      exit 1
    fi
    if ((waited >= TIMEOUT * 2)); then
      say "the broker did not answer within ${TIMEOUT} s; last log lines:"
      tail -n 30 "$LOG" >&2
      stop
      exit 1
    fi
    sleep 0.5
    waited=$((waited + 1))
  done
  say "ready on 127.0.0.1:$PORT after $((waited / 2)) s"
  echo "127.0.0.1:$PORT"
}

stop() {
  local pid
  if ! pid=$(running_pid); then
    rm -f "$PIDFILE"
    return 0
  fi
  kill -TERM "$pid"
  for _ in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "the broker did not stop within 30 s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$PIDFILE"
  say "stopped"
}

case "${1:-}" in
  fetch) fetch ;;
  start) start ;;
  stop) stop ;;
  status)
    if port_open; then echo running; else echo stopped; exit 1; fi
    ;;
  reset)
    stop
    rm -rf "$RUN"
    ;;
  *)
    echo "usage: scripts/kafka.sh start|stop|status|fetch|reset" >&2
    exit 2
    ;;
esac

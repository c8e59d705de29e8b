#!/usr/bin/env bash
# Local stack with the real components: Apache Kafka (KRaft, official jars from Maven Central)
# and Redis (Debian's redis-server, AOF on). Idempotent: `up` twice is fine, `down` twice is fine.
#
#   scripts/stack.sh up|down|status|restart-kafka|restart-redis
#
# State (data, logs, pid files) lives in $WIREWATCH_STACK_DIR (default: <repo>/.stack);
# the Kafka jars are cached in $WIREWATCH_CACHE_DIR (default: ~/.cache/wirewatch).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="${WIREWATCH_STACK_DIR:-$ROOT/.stack}"
CACHE="${WIREWATCH_CACHE_DIR:-$HOME/.cache/wirewatch}"
KAFKA_PORT="${WIREWATCH_KAFKA_PORT:-9092}"
CONTROLLER_PORT="${WIREWATCH_KAFKA_CONTROLLER_PORT:-9093}"
REDIS_PORT="${WIREWATCH_REDIS_PORT:-6379}"
KAFKA_HEAP="${WIREWATCH_KAFKA_HEAP:-1g}"
JARS="$CACHE/kafka-jars"
PYTHON="${PYTHON:-python3}"

log() { printf '[stack] %s\n' "$*"; }
die() { printf '[stack] ERROR: %s\n' "$*" >&2; exit 1; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

wait_port() {  # port seconds what logfile
  local i
  for ((i = 0; i < $2 * 5; i++)); do
    port_open "$1" && return 0
    sleep 0.2
  done
  [ -n "${4:-}" ] && [ -f "$4" ] && tail -n 30 "$4" >&2
  die "$3 did not answer on 127.0.0.1:$1 within $2 s (log: ${4:-none})"
}

need_java() {
  command -v java >/dev/null || die "java not found. Install a JDK 17+: apt-get install -y openjdk-17-jre-headless"
  command -v mvn >/dev/null || [ -f "$JARS/.complete" ] ||
    die "mvn not found and no cached Kafka jars in $JARS. Install Maven: apt-get install -y maven"
}

fetch_kafka() {
  [ -f "$JARS/.complete" ] && return 0
  log "fetching Apache Kafka jars from Maven Central into $JARS (once)"
  mkdir -p "$JARS"
  mvn -q -B -f "$ROOT/deploy/kafka/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$JARS" -DincludeScope=runtime ||
    die "mvn could not fetch org.apache.kafka:kafka_2.13 (is Maven Central reachable?)"
  touch "$JARS/.complete"
}

write_kafka_config() {
  mkdir -p "$STATE/kafka/data" "$STATE/kafka/logs"
  cat >"$STATE/kafka/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$STATE/kafka/data
num.partitions=3
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
default.replication.factor=1
min.insync.replicas=1
group.initial.rebalance.delay.ms=0
log.retention.hours=168
PROPS
  cat >"$STATE/kafka/log4j2.properties" <<PROPS
status = warn
appender.file.type = RollingFile
appender.file.name = file
appender.file.fileName = $STATE/kafka/logs/server.log
appender.file.filePattern = $STATE/kafka/logs/server.log.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 20MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 3
rootLogger.level = info
rootLogger.appenderRef.file.ref = file
logger.kafka.name = kafka
logger.kafka.level = warn
logger.apache.name = org.apache.kafka
logger.apache.level = warn
PROPS
}

kafka_java() {  # main-class args...
  java -Xms"$KAFKA_HEAP" -Xmx"$KAFKA_HEAP" -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$STATE/kafka/log4j2.properties" \
    -cp "$JARS/*" "$@"
}

kafka_up() {
  need_java
  fetch_kafka
  if pid_alive "$STATE/kafka/pid"; then
    log "kafka already running (pid $(cat "$STATE/kafka/pid"))"
  else
    port_open "$KAFKA_PORT" && die "port $KAFKA_PORT is taken by another process; set WIREWATCH_KAFKA_PORT"
    write_kafka_config
    if [ ! -f "$STATE/kafka/data/meta.properties" ]; then
      log "formatting KRaft storage"
      kafka_java kafka.tools.StorageTool format -t "$(cat "$STATE/kafka/cluster-id" 2>/dev/null ||
        (uuid=$("$PYTHON" -c 'import base64,uuid;print(base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("="))') &&
          echo "$uuid" | tee "$STATE/kafka/cluster-id"))" \
        -c "$STATE/kafka/server.properties" >"$STATE/kafka/logs/format.log" 2>&1 ||
        { cat "$STATE/kafka/logs/format.log" >&2; die "kafka storage format failed"; }
    fi
    log "starting kafka on 127.0.0.1:$KAFKA_PORT"
    setsid nohup bash -c "exec java -Xms$KAFKA_HEAP -Xmx$KAFKA_HEAP -XX:+UseG1GC -Djava.awt.headless=true \
      -Dlog4j2.configurationFile='$STATE/kafka/log4j2.properties' -cp '$JARS/*' \
      kafka.Kafka '$STATE/kafka/server.properties'" >"$STATE/kafka/logs/stdout.log" 2>&1 </dev/null &
    echo $! >"$STATE/kafka/pid"
  fi
  wait_port "$KAFKA_PORT" 90 kafka "$STATE/kafka/logs/stdout.log"
}

need_redis() {
  command -v redis-server >/dev/null && return 0
  command -v apt-get >/dev/null || die "redis-server not found and no apt-get. Install Redis 7 and put redis-server on PATH"
  log "installing redis-server with apt-get"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; } ||
    die "apt-get install redis-server failed (are you root? is the Debian mirror reachable?)"
}

redis_up() {
  need_redis
  mkdir -p "$STATE/redis"
  if pid_alive "$STATE/redis/pid"; then
    log "redis already running (pid $(cat "$STATE/redis/pid"))"
  else
    port_open "$REDIS_PORT" && die "port $REDIS_PORT is taken by another process; set WIREWATCH_REDIS_PORT"
    log "starting redis on 127.0.0.1:$REDIS_PORT (AOF on)"
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$STATE/redis" \
      --appendonly yes --appendfsync everysec --save "" --daemonize yes \
      --pidfile "$STATE/redis/pid" --logfile "$STATE/redis/redis.log" --protected-mode yes >/dev/null
    sleep 0.2
  fi
  wait_port "$REDIS_PORT" 20 redis "$STATE/redis/redis.log"
}

topics_up() {
  log "creating topics from deploy/kafka/topics.yaml"
  "$PYTHON" -m shared.topics create --bootstrap "127.0.0.1:$KAFKA_PORT" --file "$ROOT/deploy/kafka/topics.yaml"
}

stop_pid() {  # pidfile name
  if pid_alive "$1"; then
    local pid i
    pid=$(cat "$1")
    log "stopping $2 (pid $pid)"
    kill "$pid" 2>/dev/null || true
    for ((i = 0; i < 150; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$1"
}

status() {
  local rc=0
  if pid_alive "$STATE/kafka/pid" && port_open "$KAFKA_PORT"; then
    log "kafka  up    127.0.0.1:$KAFKA_PORT  (pid $(cat "$STATE/kafka/pid"), logs $STATE/kafka/logs)"
  else
    log "kafka  down"; rc=1
  fi
  if pid_alive "$STATE/redis/pid" && port_open "$REDIS_PORT"; then
    log "redis  up    127.0.0.1:$REDIS_PORT  (pid $(cat "$STATE/redis/pid"), data $STATE/redis)"
  else
    log "redis  down"; rc=1
  fi
  return $rc
}

cd "$ROOT"
case "${1:-}" in
  up)
    if [ "${WIREWATCH_STACK_DOCKER:-0}" = 1 ] && docker info >/dev/null 2>&1; then
      exec docker compose up -d kafka redis kafka-init
    fi
    redis_up
    kafka_up
    topics_up
    status
    ;;
  down)
    stop_pid "$STATE/kafka/pid" kafka
    stop_pid "$STATE/redis/pid" redis
    ;;
  status) status ;;
  restart-kafka) stop_pid "$STATE/kafka/pid" kafka; kafka_up ;;
  restart-redis) stop_pid "$STATE/redis/pid" redis; redis_up ;;
  stop-kafka) stop_pid "$STATE/kafka/pid" kafka ;;
  stop-redis) stop_pid "$STATE/redis/pid" redis ;;
  *) echo "usage: $0 up|down|status|restart-kafka|restart-redis|stop-kafka|stop-redis" >&2; exit 2 ;;
esac

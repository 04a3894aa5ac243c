#!/usr/bin/env bash
# Starts a single-node KRaft Kafka (broker + controller) on 127.0.0.1:$KAFKA_PORT and
# waits until it answers. Idempotent: a running broker is left alone, formatted
# storage is reused.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

if pid="$(kafka_pid)" && port_open "$KAFKA_PORT"; then
    say "already running (pid $pid) on $KAFKA_BOOTSTRAP"
    exit 0
fi
if port_open "$KAFKA_PORT"; then
    die "port $KAFKA_PORT is taken by another process; set KAFKA_PORT to a free port"
fi
"$HERE/install.sh"
mkdir -p "$KAFKA_RUN/data" "$KAFKA_RUN/logs"
sed -e "s|@PORT@|$KAFKA_PORT|g" -e "s|@CONTROLLER_PORT@|$KAFKA_CONTROLLER_PORT|g" -e "s|@DATA@|$KAFKA_RUN/data|g" \
    "$HERE/server.properties.in" >"$KAFKA_RUN/server.properties"
cp "$HERE/log4j2.properties" "$KAFKA_RUN/log4j2.properties"

# what bin/kafka-server-start.sh would pass, with a small heap
LOG_OPTS=(-Dkafka.logs.dir="$KAFKA_RUN/logs" -Dlog4j2.configurationFile="$KAFKA_RUN/log4j2.properties")
JAVA_OPTS=(-Xms"$KAFKA_HEAP" -Xmx"$KAFKA_HEAP" -XX:+UseG1GC -XX:MaxGCPauseMillis=20
    -XX:InitiatingHeapOccupancyPercent=35 -Djava.awt.headless=true "${LOG_OPTS[@]}")
CP="$KAFKA_LIBS/*"

if [[ ! -f "$KAFKA_RUN/data/meta.properties" ]]; then
    cluster_id="$(java -cp "$CP" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)"
    say "formatting storage in $KAFKA_RUN/data (cluster id $cluster_id)"
    # static quorum (controller.quorum.voters): no --standalone
    java -Xmx256m "${LOG_OPTS[@]}" -cp "$CP" kafka.tools.StorageTool format \
        -t "$cluster_id" -c "$KAFKA_RUN/server.properties" >"$KAFKA_RUN/logs/format.out" 2>&1 \
        || { cat "$KAFKA_RUN/logs/format.out" >&2; die "StorageTool format failed"; }
fi

say "starting Kafka $KAFKA_VERSION on $KAFKA_BOOTSTRAP (heap $KAFKA_HEAP, logs in $KAFKA_RUN/logs)"
# setsid: a session of its own, so the broker outlives whatever started it (a test that restarts
# it, a shell whose process group is killed when it ends); `make kafka-down` stops it.
setsid nohup java "${JAVA_OPTS[@]}" -cp "$CP" kafka.Kafka "$KAFKA_RUN/server.properties" \
    >"$KAFKA_RUN/logs/kafka.out" 2>&1 </dev/null &
echo $! >"$KAFKA_RUN/kafka.pid"

deadline=$((SECONDS + KAFKA_START_TIMEOUT_S))
until grep -q "Kafka Server started" "$KAFKA_RUN/logs/server.log" 2>/dev/null && port_open "$KAFKA_PORT"; do
    if ! kafka_pid >/dev/null; then
        tail -30 "$KAFKA_RUN/logs/kafka.out" "$KAFKA_RUN/logs/server.log" >&2 2>/dev/null || true
        die "the broker exited during start-up (see $KAFKA_RUN/logs)"
    fi
    if ((SECONDS >= deadline)); then
        die "the broker did not start within ${KAFKA_START_TIMEOUT_S}s (see $KAFKA_RUN/logs/server.log)"
    fi
    sleep 0.5
done
say "ready on $KAFKA_BOOTSTRAP (pid $(cat "$KAFKA_RUN/kafka.pid"))"

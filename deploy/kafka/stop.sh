#!/usr/bin/env bash
# Stops the broker started by start.sh (SIGTERM, then SIGKILL after 30 s). Idempotent.
# KAFKA_WIPE=1 also removes its data directory.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

if pid="$(kafka_pid)"; then
    say "stopping broker (pid $pid)"
    kill "$pid"
    for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then say "still alive after 30 s: SIGKILL"; kill -9 "$pid"; fi
else
    say "not running"
fi
rm -f "$KAFKA_RUN/kafka.pid"
if [[ "${KAFKA_WIPE:-0}" == 1 ]]; then
    say "removing $KAFKA_RUN"
    rm -rf "$KAFKA_RUN"
fi

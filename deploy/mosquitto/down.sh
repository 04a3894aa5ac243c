#!/usr/bin/env bash
# Stop the broker started by up.sh (SIGTERM, then SIGKILL after 15 s). Idempotent.
source "$(dirname "$0")/lib.sh"

if pid="$(mqtt_pid)"; then
    say "stopping broker (pid $pid)"
    kill "$pid"
    for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then say "still alive after 15 s: SIGKILL"; kill -9 "$pid"; fi
else
    say "not running"
fi
rm -f "$MQTT_PID"

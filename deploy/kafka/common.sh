# Shared settings of the native Kafka scripts (sourced, not run).
# Everything can be overridden from the environment; the defaults keep clear of a
# developer's own Kafka on 9092/9093.
set -euo pipefail

KAFKA_VERSION="${KAFKA_VERSION:-4.1.1}"
KAFKA_PORT="${KAFKA_PORT:-19092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-19093}"
KAFKA_HEAP="${KAFKA_HEAP:-512m}"
KAFKA_START_TIMEOUT_S="${KAFKA_START_TIMEOUT_S:-90}"
CARGOTRAIL_CACHE="${CARGOTRAIL_CACHE:-$HOME/.cache/cargotrail}"
KAFKA_HOME="$CARGOTRAIL_CACHE/kafka/$KAFKA_VERSION"   # jars: shared by every run
KAFKA_LIBS="$KAFKA_HOME/libs"
KAFKA_RUN="${KAFKA_RUN:-$CARGOTRAIL_CACHE/kafka/run-$KAFKA_PORT}"  # data, logs, pid: one per port
KAFKA_BOOTSTRAP="127.0.0.1:$KAFKA_PORT"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

say() { echo "[kafka] $*"; }
die() { echo "[kafka] ERROR: $*" >&2; exit 1; }

kafka_pid() {  # prints the pid of our broker if it is alive
    local f="$KAFKA_RUN/kafka.pid"
    [[ -f "$f" ]] || return 1
    local pid; pid="$(cat "$f")"
    kill -0 "$pid" 2>/dev/null || return 1
    # the pid file may be stale and the pid reused: check it is our java
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "kafka.Kafka $KAFKA_RUN/server.properties" || return 1
    echo "$pid"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

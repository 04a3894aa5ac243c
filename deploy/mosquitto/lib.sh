# Shared settings and helpers for deploy/mosquitto/*.sh (sourced, not run).
#
# A dedicated Mosquitto broker for cargotrail: Debian's mosquitto package, but its own config,
# password file, pid file and log (in MQTT_RUN), listening on 127.0.0.1:$MQTT_PORT only, with
# username/password authentication. The distro's own service (port 1883) is neither needed nor used.
set -euo pipefail

MQTT_PORT="${CARGOTRAIL_MQTT_PORT:-51883}"
MQTT_USER="${CARGOTRAIL_TEST_MQTT_USER:-cargotrail}"
MQTT_PASSWORD="${CARGOTRAIL_TEST_MQTT_PASSWORD:-cargotrail-mqtt}"
MQTT_WAIT_S="${CARGOTRAIL_MQTT_WAIT_S:-30}"
if [ "$(id -u)" = 0 ]; then
    # The broker drops root privileges to the mosquitto user, which must read and write here.
    MQTT_RUN="${CARGOTRAIL_MQTT_RUN:-/var/lib/cargotrail-mosquitto}"
    MQTT_OS_USER=mosquitto
else
    MQTT_RUN="${CARGOTRAIL_MQTT_RUN:-$HOME/.cache/cargotrail/mosquitto}"
    MQTT_OS_USER="$(id -un)"
fi
MQTT_CONF="$MQTT_RUN/mosquitto.conf"
MQTT_PID="$MQTT_RUN/mosquitto.pid"
MQTT_LOG="$MQTT_RUN/mosquitto.log"
MQTT_PASSWD="$MQTT_RUN/passwd"

say() { printf '==> mosquitto: %s\n' "$*"; }
die() {
    printf 'mosquitto: ERROR: %s\n' "$*" >&2
    exit 1
}

# The pid of our broker, if it runs (the pid file alone may be stale).
mqtt_pid() {
    local pid
    [ -s "$MQTT_PID" ] || return 1
    pid="$(cat "$MQTT_PID")"
    kill -0 "$pid" 2>/dev/null && grep -q mosquitto "/proc/$pid/cmdline" 2>/dev/null || return 1
    printf '%s\n' "$pid"
}

# A real MQTT round trip with our credentials (not just an open port), bounded in time.
is_ready() {
    timeout 5 mosquitto_pub -h 127.0.0.1 -p "$MQTT_PORT" -u "$MQTT_USER" -P "$MQTT_PASSWORD" \
        -i "cargotrail-probe-$$" -t cargotrail/health -m up -q 1 >/dev/null 2>&1
}

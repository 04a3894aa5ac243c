#!/usr/bin/env bash
# Bring up cargotrail's Mosquitto broker on 127.0.0.1:$MQTT_PORT with username/password auth.
# Idempotent; fast (one probe) when already up. Installs mosquitto from Debian when missing.
source "$(dirname "$0")/lib.sh"

if command -v mosquitto_pub >/dev/null && mqtt_pid >/dev/null && is_ready; then
    say "already up at 127.0.0.1:$MQTT_PORT (pid $(mqtt_pid))"
    exit 0
fi

if ! command -v mosquitto >/dev/null && [ ! -x /usr/sbin/mosquitto ] || ! command -v mosquitto_pub >/dev/null; then
    [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null ||
        die "mosquitto is not installed: run as root (apt-get) or install mosquitto and mosquitto-clients"
    say "apt-get install mosquitto mosquitto-clients"
    apt-get update -qq || die "apt-get update failed"
    # The package's own service is not ours: keep it from starting during the install.
    policy=/usr/sbin/policy-rc.d
    own_policy=0
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && own_policy=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mosquitto mosquitto-clients >/dev/null ||
        { [ "$own_policy" = 1 ] && rm -f "$policy"; die "apt-get install mosquitto failed"; }
    [ "$own_policy" = 1 ] && rm -f "$policy"
fi
MOSQUITTO="$(command -v mosquitto || echo /usr/sbin/mosquitto)"

mkdir -p "$MQTT_RUN"
if pid="$(mqtt_pid)"; then
    say "pid $pid runs but does not answer: restarting it"
    bash "$(dirname "$0")/down.sh"
fi

say "config in $MQTT_RUN (127.0.0.1:$MQTT_PORT, user $MQTT_USER)"
rm -f "$MQTT_PASSWD"
mosquitto_passwd -b -c "$MQTT_PASSWD" "$MQTT_USER" "$MQTT_PASSWORD" >/dev/null || die "mosquitto_passwd failed"
cat >"$MQTT_CONF" <<CONF
# Written by deploy/mosquitto/up.sh: cargotrail's test and dev broker.
user $MQTT_OS_USER
pid_file $MQTT_PID
persistence true
persistence_location $MQTT_RUN/
log_dest file $MQTT_LOG
log_type error
log_type warning
log_type notice
listener $MQTT_PORT 127.0.0.1
allow_anonymous false
password_file $MQTT_PASSWD
max_queued_messages 100000
CONF
chmod 600 "$MQTT_PASSWD"
chown -R "$MQTT_OS_USER" "$MQTT_RUN"

say "starting $MOSQUITTO"
rm -f "$MQTT_PID"
"$MOSQUITTO" -c "$MQTT_CONF" -d || die "mosquitto did not start; last log lines:
$(tail -n 20 "$MQTT_LOG" 2>/dev/null)"

say "waiting up to ${MQTT_WAIT_S}s for 127.0.0.1:$MQTT_PORT"
deadline=$((SECONDS + MQTT_WAIT_S))
until is_ready; do
    [ "$SECONDS" -lt "$deadline" ] || die "not ready after ${MQTT_WAIT_S}s; last log lines:
$(tail -n 20 "$MQTT_LOG" 2>/dev/null)"
    sleep 0.5
done
say "ready: 127.0.0.1:$MQTT_PORT (pid $(mqtt_pid || echo '?'))"

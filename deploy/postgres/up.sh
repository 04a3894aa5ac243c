#!/usr/bin/env bash
# Bring up cargotrail's own PostgreSQL cluster on 127.0.0.1:$PG_PORT with the
# role, the database and PostGIS. Idempotent; fast (one probe) when already up.
source "$(dirname "$0")/lib.sh"

if is_ready && PGCONNECT_TIMEOUT=5 psql -X -qAt "$(app_url)" \
    -c "SELECT 1 FROM pg_extension WHERE extname = 'postgis'" 2>/dev/null | grep -q 1; then
    say "already up at 127.0.0.1:$PG_PORT (database $PG_DB, PostGIS present)"
    exit 0
fi

bash "$(dirname "$0")/install.sh"

if ! cluster_exists; then
    say "creating cluster $PG_VERSION/$PG_CLUSTER on port $PG_PORT (C locale, UTF8)"
    pg_createcluster "$PG_VERSION" "$PG_CLUSTER" --port "$PG_PORT" --locale C --encoding UTF8 \
        -- --auth-local=peer --auth-host=scram-sha-256 >/dev/null ||
        die "pg_createcluster failed (see $PG_LOG)"
fi

# Settings for a dev/CI machine: loopback only, enough memory for the 10 M-row
# bench, durable commits (the sink's exactly-once claims rely on them).
conf="$PG_CONF_DIR/conf.d/cargotrail.conf"
mkdir -p "$(dirname "$conf")"
cat >"$conf.new" <<CONF
listen_addresses = '127.0.0.1'
port = $PG_PORT
max_connections = 200
shared_buffers = '1GB'
work_mem = '32MB'
maintenance_work_mem = '512MB'
max_wal_size = '4GB'
checkpoint_timeout = '15min'
max_parallel_workers_per_gather = 2
jit = off
CONF
if ! cmp -s "$conf.new" "$conf"; then
    mv "$conf.new" "$conf"
    chown postgres:postgres "$conf"
    if is_ready; then
        say "settings changed: restarting"
        pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" restart -m fast || die "restart failed (see $PG_LOG)"
    fi
else
    rm -f "$conf.new"
fi

if ! is_ready; then
    say "starting cluster $PG_VERSION/$PG_CLUSTER"
    mkdir -p /var/run/postgresql && chown postgres:postgres /var/run/postgresql
    pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" start || die "cluster did not start; last log lines:
$(tail -n 20 "$PG_LOG" 2>/dev/null)"
fi

say "waiting up to ${PG_WAIT_S}s for 127.0.0.1:$PG_PORT"
deadline=$((SECONDS + PG_WAIT_S))
until is_ready; do
    [ "$SECONDS" -lt "$deadline" ] || die "not ready after ${PG_WAIT_S}s; last log lines:
$(tail -n 20 "$PG_LOG" 2>/dev/null)"
    sleep 0.5
done

say "role $PG_USER, database $PG_DB, extension postgis"
psql_super -d postgres -v user="$PG_USER" -v pw="$PG_PASSWORD" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'user')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'user') \gexec
ALTER ROLE :"user" WITH LOGIN PASSWORD :'pw';
SQL
psql_super -d postgres -v user="$PG_USER" -v db="$PG_DB" <<'SQL'
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'user')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \gexec
SQL
# PostGIS is not a trusted extension: the superuser creates it once, in public.
psql_super -d "$PG_DB" -c "SET client_min_messages = warning" -c "CREATE EXTENSION IF NOT EXISTS postgis SCHEMA public" ||
    die "CREATE EXTENSION postgis failed"

say "ready: $(app_url)"

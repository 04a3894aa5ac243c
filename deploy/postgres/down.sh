#!/usr/bin/env bash
# Stop cargotrail's PostgreSQL cluster (data is kept). Idempotent.
source "$(dirname "$0")/lib.sh"

if ! cluster_exists; then
    say "no cluster $PG_VERSION/$PG_CLUSTER: nothing to stop"
    exit 0
fi
if ! pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" status >/dev/null 2>&1; then
    say "cluster $PG_VERSION/$PG_CLUSTER is not running"
    exit 0
fi
say "stopping cluster $PG_VERSION/$PG_CLUSTER"
pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" stop -m fast || die "stop failed (see $PG_LOG)"

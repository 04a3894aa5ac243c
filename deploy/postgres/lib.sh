# Shared settings and helpers for deploy/postgres/*.sh (sourced, not run).
#
# One dedicated cluster for cargotrail, made with Debian's pg_createcluster:
# its data lives in /var/lib/postgresql/<ver>/<name> (owned by the postgres OS
# user, which PostgreSQL requires and which cannot read root's ~/.cache), its
# config in /etc/postgresql/<ver>/<name>, and pg_ctlcluster switches to the
# postgres user when run as root. It listens on 127.0.0.1 on its own port, so
# the distro's default "main" cluster is neither needed nor disturbed.
set -euo pipefail

PG_VERSION="${CARGOTRAIL_PG_VERSION:-15}"
PG_CLUSTER="${CARGOTRAIL_PG_CLUSTER:-cargotrail}"
PG_PORT="${CARGOTRAIL_PG_PORT:-55432}"
PG_USER="${CARGOTRAIL_PG_USER:-cargotrail}"
PG_PASSWORD="${CARGOTRAIL_PG_PASSWORD:-cargotrail}"
PG_DB="${CARGOTRAIL_PG_DB:-cargotrail}"
PG_WAIT_S="${CARGOTRAIL_PG_WAIT_S:-60}"
PG_BIN="/usr/lib/postgresql/${PG_VERSION}/bin"
PG_CONF_DIR="/etc/postgresql/${PG_VERSION}/${PG_CLUSTER}"
PG_LOG="/var/log/postgresql/postgresql-${PG_VERSION}-${PG_CLUSTER}.log"
PG_PACKAGES=(postgresql-"${PG_VERSION}" postgresql-client-"${PG_VERSION}" postgresql-"${PG_VERSION}"-postgis-3)

say() { printf '==> postgres: %s\n' "$*"; }
die() {
    printf 'postgres: ERROR: %s\n' "$*" >&2
    exit 1
}

# Run a command as the postgres OS user (PostgreSQL refuses to run as root).
as_postgres() {
    if [ "$(id -un)" = postgres ]; then
        "$@"
    elif [ "$(id -u)" = 0 ]; then
        (cd / && runuser -u postgres -- "$@")
    else
        (cd / && sudo -n -u postgres -- "$@") || die "need root or passwordless sudo to act as the postgres user"
    fi
}

# Superuser SQL over the local socket (peer authentication as postgres).
psql_super() {
    as_postgres psql -X -q -v ON_ERROR_STOP=1 -h /var/run/postgresql -p "$PG_PORT" "$@"
}

is_ready() {
    "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -t 2 >/dev/null 2>&1
}

cluster_exists() {
    [ -f "$PG_CONF_DIR/postgresql.conf" ]
}

app_url() {
    printf 'postgresql://%s:%s@127.0.0.1:%s/%s' "$PG_USER" "$PG_PASSWORD" "$PG_PORT" "$PG_DB"
}

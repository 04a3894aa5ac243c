#!/usr/bin/env bash
# Install PostgreSQL and PostGIS from Debian's packages, if missing. Idempotent.
source "$(dirname "$0")/lib.sh"

missing=()
for p in "${PG_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
    say "packages present: ${PG_PACKAGES[*]}"
    exit 0
fi
[ "$(id -u)" = 0 ] || die "packages missing (${missing[*]}) and not root: run 'sudo $0' once"
command -v apt-get >/dev/null || die "apt-get not found: install ${missing[*]} by hand"
export DEBIAN_FRONTEND=noninteractive
say "apt-get update"
apt-get update -q </dev/null >/dev/null || die "apt-get update failed"
say "installing ${missing[*]}"
apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null ||
    die "apt-get install ${missing[*]} failed"
[ -x "$PG_BIN/postgres" ] || die "installed, but $PG_BIN/postgres is missing"

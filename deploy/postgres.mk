# PostgreSQL 15 + PostGIS for cargotrail: a dedicated Debian cluster on 127.0.0.1
# (see deploy/postgres/lib.sh for why pg_createcluster, and the settings).
.PHONY: pg-up pg-down

CARGOTRAIL_PG_PORT ?= 55432
export CARGOTRAIL_PG_PORT
# The integration tests (tests/store) read this; it is also what to put in
# CARGOTRAIL_STORE_URL to run the pipeline on PostgreSQL.
export CARGOTRAIL_TEST_PG_URL ?= postgresql://cargotrail:cargotrail@127.0.0.1:$(CARGOTRAIL_PG_PORT)/cargotrail

pg-up:
	@bash deploy/postgres/up.sh

pg-down:
	@bash deploy/postgres/down.sh

TEST_SERVICES += pg-up
TEST_SERVICES_DOWN += pg-down

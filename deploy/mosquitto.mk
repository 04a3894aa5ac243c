# Mosquitto (Debian's package, a dedicated config) for the MQTT ingest integration tests.
# `make mqtt-up` installs it if missing and starts it on 127.0.0.1:$(CARGOTRAIL_MQTT_PORT) with
# username/password auth (see deploy/mosquitto/lib.sh); `make mqtt-down` stops it.
.PHONY: mqtt-up mqtt-down

CARGOTRAIL_MQTT_PORT ?= 51883
export CARGOTRAIL_MQTT_PORT
export CARGOTRAIL_TEST_MQTT ?= 127.0.0.1:$(CARGOTRAIL_MQTT_PORT)
export CARGOTRAIL_TEST_MQTT_USER ?= cargotrail
export CARGOTRAIL_TEST_MQTT_PASSWORD ?= cargotrail-mqtt

mqtt-up:
	@bash deploy/mosquitto/up.sh

mqtt-down:
	@bash deploy/mosquitto/down.sh

TEST_SERVICES += mqtt-up
TEST_SERVICES_DOWN += mqtt-down

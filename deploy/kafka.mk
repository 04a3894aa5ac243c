# Apache Kafka (KRaft, native: jars from Maven Central, no Docker) for the integration tests.
# `make kafka-up` installs (cached in ~/.cache/cargotrail/kafka), starts the broker on
# 127.0.0.1:$(KAFKA_PORT) and creates the default topics; `make kafka-down` stops it
# (KAFKA_WIPE=1 also removes its data).
KAFKA_PORT ?= 19092
export KAFKA_PORT
export CARGOTRAIL_TEST_KAFKA ?= 127.0.0.1:$(KAFKA_PORT)

.PHONY: kafka-up kafka-down

kafka-up: install
	@bash deploy/kafka/start.sh
	@$(BIN)/python -m cargotrail.kafka.topics --bootstrap $(CARGOTRAIL_TEST_KAFKA)

kafka-down:
	@bash deploy/kafka/stop.sh

TEST_SERVICES += kafka-up
TEST_SERVICES_DOWN += kafka-down

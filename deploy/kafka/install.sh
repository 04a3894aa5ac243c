#!/usr/bin/env bash
# Puts the Kafka broker's jars (Maven Central) in $KAFKA_LIBS. Idempotent: a complete
# cache is reused without touching the network.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

command -v java >/dev/null || die "java not found: install a JDK 17+ (Debian: apt-get install openjdk-17-jdk-headless)"
java_major="$(java -XshowSettings:properties -version 2>&1 | sed -n 's/.*java.specification.version = //p')"
[[ "${java_major%%.*}" -ge 17 ]] 2>/dev/null || die "Kafka $KAFKA_VERSION needs Java 17+, found '${java_major:-unknown}'"

if [[ -f "$KAFKA_LIBS/.complete" ]]; then
    say "jars for Kafka $KAFKA_VERSION cached in $KAFKA_LIBS"
    exit 0
fi
command -v mvn >/dev/null || die "mvn not found: install Maven (Debian: apt-get install maven)"
say "downloading Kafka $KAFKA_VERSION and its runtime dependencies from Maven Central into $KAFKA_LIBS"
mkdir -p "$KAFKA_HOME"
cp "$HERE/pom.xml" "$KAFKA_HOME/pom.xml"
rm -rf "$KAFKA_LIBS.partial"
if ! mvn -B -q -f "$KAFKA_HOME/pom.xml" -Dkafka.version="$KAFKA_VERSION" \
        dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$KAFKA_LIBS.partial" \
        >"$KAFKA_HOME/mvn.log" 2>&1; then
    tail -20 "$KAFKA_HOME/mvn.log" >&2
    die "Maven could not fetch org.apache.kafka:kafka_2.13:$KAFKA_VERSION (registry unreachable or version unknown); log: $KAFKA_HOME/mvn.log"
fi
ls "$KAFKA_LIBS.partial"/kafka_2.13-"$KAFKA_VERSION".jar >/dev/null 2>&1 || die "kafka_2.13-$KAFKA_VERSION.jar missing after Maven ran"
ls "$KAFKA_LIBS.partial"/log4j-slf4j-impl-*.jar >/dev/null 2>&1 || die "no slf4j->log4j2 binding: the broker would log nothing"
rm -rf "$KAFKA_LIBS" && mv "$KAFKA_LIBS.partial" "$KAFKA_LIBS" && touch "$KAFKA_LIBS/.complete"
say "$(ls "$KAFKA_LIBS" | wc -l) jars in $KAFKA_LIBS"

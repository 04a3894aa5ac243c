"""Topic names, partitions and retention, and creating them with the AdminClient.

One ``Namespace`` (a prefix, ``cargotrail`` by default) names every topic, so that
test runs and seeded runs never read each other's records. All topics are keyed
by container id (``anchors`` by stream) with the same partition count, so a
container's input and outputs share a partition number.

Why a Python helper rather than ``kafka-topics.sh``: the broker jars from Maven
do not include ``kafka-tools`` (where ``TopicCommand`` lives in 4.x), a JVM start
per call costs seconds, and the workers use these very specs to check the topics
they are given. Every admin call has a timeout.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from dataclasses import dataclass

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic  # where the type stubs declare it

from cargotrail.kafka.errors import KafkaError, KafkaUnavailable

DAY_MS = 24 * 3600 * 1000
ADMIN_TIMEOUT_S = 15.0
# A closed anchor batch travels whole (header + every proof): ~1.1 kB per record before lz4, so
# a 10,000-record batch is ~11 MB, past Kafka's 1 MB default. Only the anchors topic allows this.
MAX_MESSAGE_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    retention_ms: int
    compacted: bool = False
    max_message_bytes: int | None = None

    def config(self) -> dict[str, str]:
        cfg = {"retention.ms": str(self.retention_ms), "min.insync.replicas": "1"}
        if self.max_message_bytes:
            cfg["max.message.bytes"] = str(self.max_message_bytes)
        if self.compacted:
            cfg["cleanup.policy"] = "compact"
        return cfg


@dataclass(frozen=True)
class Namespace:
    """The topics of one deployment or run: ``<prefix>.telemetry`` and so on.

    ``telemetry`` is the input (readings, RFID reads, voyage plans, ticks); its
    retention must cover a worker's recovery, which replays a partition from its
    start (see ``streams.runtimes.kafka``). The others are outputs for the sink.
    """

    prefix: str = "cargotrail"
    partitions: int = 4
    retention_ms: int = 7 * DAY_MS

    def topic(self, kind: str) -> str:
        return f"{self.prefix}.{kind}"

    @property
    def telemetry(self) -> str:
        return self.topic("telemetry")

    @property
    def outputs(self) -> dict[str, str]:
        return {k: self.topic(k) for k in ("records", "rfid", "events", "alerts", "anchors", "dlq")}

    @property
    def app_id(self) -> str:
        """The Faust app id (consumer group, changelog topic prefix)."""
        return f"{self.prefix}-workers"

    def specs(self) -> list[TopicSpec]:
        out = [TopicSpec(self.telemetry, self.partitions, self.retention_ms)]
        out += [
            TopicSpec(
                t,
                self.partitions,
                self.retention_ms,
                max_message_bytes=MAX_MESSAGE_BYTES if k == "anchors" else None,
            )
            for k, t in self.outputs.items()
        ]
        return out


def admin(bootstrap: str) -> AdminClient:
    return AdminClient({"bootstrap.servers": bootstrap, "socket.timeout.ms": 10_000})


def ensure_topics(bootstrap: str, ns: Namespace, *, timeout_s: float = ADMIN_TIMEOUT_S) -> list[str]:
    """Create the namespace's topics that are missing; return the names created.

    An existing topic with another partition count is an error (keys would move).
    ``KafkaUnavailable`` when the broker does not answer within ``timeout_s``.
    """
    client = admin(bootstrap)
    try:
        meta = client.list_topics(timeout=timeout_s)
    except KafkaException as exc:
        raise KafkaUnavailable(f"broker {bootstrap} did not answer in {timeout_s}s: {exc}") from None
    created: list[str] = []
    missing = []
    for spec in ns.specs():
        have = meta.topics.get(spec.name)
        if have is None:
            missing.append(spec)
        elif len(have.partitions) != spec.partitions:
            raise KafkaError(
                f"exists with {len(have.partitions)} partitions, expected {spec.partitions}", topic=spec.name
            )
    if not missing:
        return created
    futures = client.create_topics(
        [NewTopic(s.name, s.partitions, 1, config=s.config()) for s in missing],
        operation_timeout=timeout_s,
        request_timeout=timeout_s,
    )
    for name, fut in futures.items():
        try:
            fut.result(timeout=timeout_s)
            created.append(name)
        except KafkaException as exc:
            if "TOPIC_ALREADY_EXISTS" not in str(exc):  # a concurrent creator won the race: fine
                raise KafkaError(f"could not create: {exc}", topic=name) from None
    return created


def delete_namespace(bootstrap: str, ns: Namespace, *, timeout_s: float = ADMIN_TIMEOUT_S) -> None:
    """Delete the namespace's topics and the Faust changelogs of its workers (best effort)."""
    client = admin(bootstrap)
    try:
        names = [t for t in client.list_topics(timeout=timeout_s).topics if t.startswith(ns.prefix)]
    except KafkaException as exc:
        raise KafkaUnavailable(f"broker {bootstrap} did not answer in {timeout_s}s: {exc}") from None
    if names:
        for fut in client.delete_topics(
            names, operation_timeout=timeout_s, request_timeout=timeout_s
        ).values():
            with contextlib.suppress(KafkaException):  # already gone: fine
                fut.result(timeout=timeout_s)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Create cargotrail's Kafka topics (idempotent).")
    p.add_argument("--bootstrap", required=True)
    p.add_argument("--prefix", default="cargotrail")
    p.add_argument("--partitions", type=int, default=4)
    p.add_argument("--retention-hours", type=float, default=7 * 24)
    a = p.parse_args(argv)
    ns = Namespace(a.prefix, a.partitions, int(a.retention_hours * 3600 * 1000))
    try:
        created = ensure_topics(a.bootstrap, ns)
    except KafkaError as exc:
        print(f"[kafka] ERROR: {exc}", file=sys.stderr)
        return 1
    for spec in ns.specs():
        state = "created" if spec.name in created else "exists"
        print(
            f"[kafka] topic {spec.name}: {spec.partitions} partitions, "
            f"retention {spec.retention_ms} ms ({state})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

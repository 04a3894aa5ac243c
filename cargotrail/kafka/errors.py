"""Kafka failures, translated at the boundary into the cargotrail tree.

They live here rather than in ``cargotrail.errors`` only because that module is
owned by the core; they derive from ``CargotrailError`` so callers catch them
with everything else.
"""

from __future__ import annotations

from cargotrail.errors import CargotrailError


class KafkaError(CargotrailError):
    """A Kafka operation failed; ``topic``, ``partition`` and ``key`` say where."""

    def __init__(self, message: str, *, topic: str = "", partition: int | None = None, key: str = "") -> None:
        self.topic = topic
        self.partition = partition
        self.key = key
        where = ", ".join(
            p
            for p in (
                f"topic {topic}" if topic else "",
                f"partition {partition}" if partition is not None else "",
                f"key {key}" if key else "",
            )
            if p
        )
        super().__init__(f"{message} ({where})" if where else message)


class KafkaUnavailable(KafkaError):
    """The broker did not answer in time; the caller may retry."""


class DeliveryError(KafkaError):
    """A produced record was refused or lost (the container id is the key)."""

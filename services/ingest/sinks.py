"""Where the ingest gateway puts what it decided: valid readings on, rejections into the DLQ.

``Sink`` is the one seam between the transports (HTTP, MQTT, NMEA streams, Kafka direct) and the
rest of the platform. ``EmbeddedSink`` runs the embedded runtime over the store (validate ->
process -> store -> anchor; dead letters in the store's table). ``KafkaSink``
(``services.ingest.kafka_sink``) produces to the telemetry topic and the DLQ topic instead, for
the Kafka runtime. A sink is called under the gateway's lock: it needs no locking of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from cargotrail.contract.records import Reading
from cargotrail.contract.validate import Rejection
from cargotrail.errors import ConfigError
from cargotrail.settings import Settings
from cargotrail.wiring import ledger_anchoring, load_zones, open_store
from streams.processors.pipeline import Processors
from streams.runtimes.embedded import EmbeddedRuntime


class Sink(Protocol):
    def accept(self, readings: Sequence[Reading], now_s: float) -> None:
        """Send valid readings on (already checked: ``check_reading`` passed)."""

    def dead_letter(self, rejections: Sequence[Rejection], now_s: float) -> None:
        """Keep rejections (reason, source, raw payload) where ``cargotrail dlq`` finds them."""

    def flush(self) -> None:
        """Return once everything accepted so far is durable, or raise (a transport acks only then)."""

    def close(self) -> None:
        """Flush everything held back and release the resources (idempotent)."""


class EmbeddedSink:
    """The embedded runtime over the store of ``settings`` (the default, one process)."""

    def __init__(self, settings: Settings, *, clock: Callable[[], float]) -> None:
        data_dir = settings.data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        self.store = open_store(settings)
        try:  # the zones an admin saved, else the run's file; none yet is a valid start (no geofences)
            zones = load_zones(settings, self.store)
        except ConfigError:
            zones = []
        self.runtime = EmbeddedRuntime(
            Processors(zones, lateness_s=settings.lateness_s, thresholds=settings.thresholds),
            self.store,
            max_future_s=settings.max_future_s,
            now=clock,
            anchoring=ledger_anchoring(settings, self.store),
            inbox=True,  # what the gateway acknowledged survives a crash (streams.runtimes.embedded)
            compact_readings=settings.inbox_compact_readings,
        )
        self._closed = False

    def accept(self, readings: Sequence[Reading], now_s: float) -> None:
        self.runtime.ingest(readings)

    def dead_letter(self, rejections: Sequence[Rejection], now_s: float) -> None:
        with self.store.unit_of_work():
            self.store.write_dead_letters(rejections, now_s)

    def flush(self) -> None:
        """Nothing to wait for: every call committed its own unit of work (or raised).

        Readings still in the runtime's reorder buffer are the runtime's to keep: flushing them
        early would make every later reading of their window late. They are in the store's inbox
        already, which a restarted runtime replays.
        """

    def close(self) -> None:
        """Flush the reorder buffer and the last anchor batch, then close the store."""
        if self._closed:
            return
        self._closed = True
        try:
            self.runtime.finish()
        finally:
            self.store.close()

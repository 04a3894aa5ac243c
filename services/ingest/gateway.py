"""The ingest gateway: one per process, shared by every transport (HTTP, MQTT, NMEA streams).

``IngestGateway`` verifies signed envelopes, parses, splits valid readings from rejections and
hands both to its ``Sink`` (the embedded runtime by default, Kafka with ``KafkaSink``). A lock
serialises access, so concurrent requests, the MQTT network thread and stream listeners never
interleave inside the verifier's replay memory or the sink. Readings may wait in the sink (the
runtime's reorder buffer, the producer's queue) until ``close`` flushes them.

A message may be signed by a device (``services.ingest.auth.Envelope`` over the exact body); a
signed message, or one from a transport that authenticated its sender, may only hold that
device's readings. ``BatchResult.status`` says how a transport should answer: 200 processed
(some records may be rejected), 400 not a JSON array, 401 signature refused.

A sink's infrastructure failure (``TRANSIENT``: the store, the ledger or Kafka unreachable)
propagates to the transport, which must not acknowledge the message: nothing of it was taken
for sure, and delivering it again is safe (readings are idempotent by id; an envelope whose
message failed is forgotten by the replay memory).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import msgspec

from cargotrail.contract.records import Reading
from cargotrail.contract.validate import Rejection, split_readings
from cargotrail.errors import LedgerUnavailable, StoreUnavailable, ValidationError
from cargotrail.kafka.errors import KafkaError
from cargotrail.settings import Settings
from services.ingest.auth import Envelope, Verifier
from services.ingest.devices import DeviceRegistry
from services.ingest.jsonbatch import parse_json
from services.ingest.pipeline import REGISTRY_FILE, load_registry
from services.ingest.result import RAW_LIMIT, ParseResult
from services.ingest.sinks import EmbeddedSink, Sink

# The sink could not take a message right now: retry it later, do not dead-letter it.
TRANSIENT: tuple[type[Exception], ...] = (StoreUnavailable, LedgerUnavailable, KafkaError)


class RecordResult(msgspec.Struct, frozen=True, kw_only=True):
    index: int  # position in the JSON array or line number (0 for a message refused whole)
    record: str
    field: str
    reason: str


class BatchResult(msgspec.Struct, kw_only=True):
    accepted: int = 0
    rejected: int = 0
    rejections: list[RecordResult] = msgspec.field(default_factory=list)
    status: int = 200  # the HTTP status this outcome maps to (not part of the answer's body)


def whole_refusal(source: str, field: str, reason: str, payload: bytes, record: str = "#batch") -> Rejection:
    """A message refused whole (bad envelope, bad topic, not JSON), raw payload kept."""
    raw = payload[:RAW_LIMIT].decode(errors="replace")
    return Rejection(source=source, position=0, record=record, field=field, reason=reason, raw=raw)


def _results(rejections: list[Rejection]) -> list[RecordResult]:
    return [
        RecordResult(index=r.position, record=r.record, field=r.field, reason=r.reason) for r in rejections
    ]


class IngestGateway:
    """The device registry, replay memory and sink of a process, behind a lock."""

    def __init__(
        self, settings: Settings, *, sink: Sink | None = None, clock: Callable[[], float] = time.time
    ) -> None:
        self.settings = settings
        self.clock = clock
        self._lock = threading.Lock()
        data_dir = settings.data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        self._registry_path = data_dir / REGISTRY_FILE
        self._registry_stamp = self._stamp(self._registry_path)
        self.verifier = Verifier(load_registry(data_dir))
        self.sink: Sink = sink if sink is not None else EmbeddedSink(settings, clock=clock)
        self._closed = False

    @staticmethod
    def _stamp(path: Path) -> tuple[int, int] | None:
        try:
            st = path.stat()
        except FileNotFoundError:
            return None
        return st.st_mtime_ns, st.st_size

    def _refresh_registry(self) -> None:
        """Pick up devices added with ``cargotrail devices add`` while the server runs."""
        stamp = self._stamp(self._registry_path)
        if stamp != self._registry_stamp:
            self.verifier.registry = load_registry(self.settings.data_dir)
            self._registry_stamp = stamp

    def registry(self) -> DeviceRegistry:
        """The device registry as ``devices.json`` holds it now (bindings for NMEA streams)."""
        with self._lock:
            self._refresh_registry()
            return self.verifier.registry

    def _open(self) -> float:
        if self._closed:
            raise RuntimeError("the ingest gateway is closed")
        return self.clock()

    def submit(
        self,
        payload: bytes,
        *,
        source: str,
        envelope: Envelope | None = None,
        device: str | None = None,
        allow_object: bool = False,
    ) -> BatchResult:
        """Verify (when signed), parse a JSON array of readings, dead-letter the rejected, pass the rest.

        ``device``: the sender, when the transport authenticated it (an MQTT topic under an
        authenticated connection); a signed envelope names it too, and both must agree.
        ``allow_object``: one reading as a bare JSON object is a batch of one (MQTT messages).
        """
        with self._lock:
            now_s = self._open()
            if envelope is not None:
                self._refresh_registry()
                try:
                    if device is not None and envelope.device_id != device:
                        raise ValidationError(
                            f"envelope of device {envelope.device_id!r} sent as device {device!r}",
                            field="device_id",
                            record=f"{envelope.device_id}#{envelope.seq}",
                        )
                    self.verifier.verify(envelope, payload, now=now_s)
                except ValidationError as exc:
                    refusal = whole_refusal(source, exc.field, exc.reason, payload, exc.record or "#batch")
                    return self._refuse(refusal, now_s, status=401)
                device = envelope.device_id
            now = datetime.fromtimestamp(now_s, UTC)
            if allow_object and payload.lstrip().startswith(b"{"):
                payload = b"[" + payload + b"]"  # after verifying: the signature covers the bytes sent
            parsed = parse_json(payload, now=now, max_future_s=self.settings.max_future_s)
            if not parsed.readings and any(r.record == "#batch" for r in parsed.rejections):
                # Not one JSON element to replay: dead-lettered under the transport's name, whole.
                refusal = msgspec.structs.replace(parsed.rejections[0], source=source)
                return self._refuse(refusal, now_s, status=400)
            valid, rejections = parsed.readings, parsed.rejections
            if device is not None and any(r.device_id != device for r in valid):
                valid, rejections = _only_device(valid, rejections, device)
            try:
                return self._pass(valid, rejections, now_s)
            except BaseException:
                if envelope is not None:  # not taken: its redelivery must not look like a replay
                    self.verifier.release(envelope)
                raise

    def submit_parsed(self, parsed: ParseResult) -> BatchResult:
        """Pass what a parser made of a message (an NMEA stream's lines): check, dead-letter, accept."""
        with self._lock:
            now_s = self._open()
            now = datetime.fromtimestamp(now_s, UTC)
            valid, invalid = split_readings(parsed.readings, now=now, max_future_s=self.settings.max_future_s)
            return self._pass(valid, [*parsed.rejections, *invalid], now_s)

    def _pass(self, valid: list[Reading], rejections: list[Rejection], now_s: float) -> BatchResult:
        # Readings first: they are idempotent (by reading id) when a failed message is delivered
        # again, dead letters are not; so a failure in either leaves no duplicate behind.
        if valid:
            self.sink.accept(valid, now_s)
        if rejections:
            self.sink.dead_letter(rejections, now_s)
        return BatchResult(accepted=len(valid), rejected=len(rejections), rejections=_results(rejections))

    def _refuse(self, refusal: Rejection, now_s: float, *, status: int) -> BatchResult:
        self.sink.dead_letter([refusal], now_s)
        return BatchResult(rejected=1, rejections=_results([refusal]), status=status)

    def refuse(self, source: str, field: str, reason: str, payload: bytes, *, status: int) -> BatchResult:
        """Dead-letter a message the transport refused before parsing (bad envelope, bad topic)."""
        with self._lock:
            return self._refuse(whole_refusal(source, field, reason, payload), self._open(), status=status)

    def release(self, envelope: Envelope) -> None:
        """Forget an accepted envelope whose message the sink lost after all (it will come again)."""
        with self._lock:
            self.verifier.release(envelope)

    def flush(self) -> None:
        """Wait until the sink holds everything passed so far for sure (a transport acknowledges then)."""
        with self._lock:
            self._open()
            self.sink.flush()

    def close(self) -> None:
        """Flush the sink (reorder buffer, last anchor batch, producer queue) and close it (idempotent)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self.sink.close()


def _only_device(
    valid: list[Reading], rejections: list[Rejection], device: str
) -> tuple[list[Reading], list[Rejection]]:
    """Refuse the readings of other devices than the authenticated sender, keeping array positions."""
    # decode_readings keeps array order: the good readings fill the positions not rejected.
    taken = {r.position for r in rejections}
    positions = [i for i in range(len(valid) + len(taken)) if i not in taken]
    out = list(rejections)
    out.extend(
        Rejection(
            source="json",
            position=i,
            record=f"{r.container_id}/{r.device_id}#{r.seq}",
            field="device_id",
            reason=f"reading of device {r.device_id!r} sent as device {device!r}",
            raw=msgspec.json.encode(r).decode(),
        )
        for i, r in zip(positions, valid, strict=True)
        if r.device_id != device
    )
    out.sort(key=lambda r: r.position)
    return [r for r in valid if r.device_id == device], out

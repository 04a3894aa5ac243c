"""HTTP batch ingest: ``POST /v1/readings`` with a JSON array of readings, and the shared gateway.

``IngestGateway`` is the one embedded runtime of a process (HTTP, MQTT and any other transport feed
it); a lock serialises access, so concurrent requests and the MQTT network thread never interleave
inside the runtime or the store. Rejected records go to the dead-letter table, valid ones through
the runtime (validate -> process -> store -> anchor). Readings wait in the runtime's reorder buffer
until later device time releases them; ``close`` (at server shutdown) flushes the rest.

A request may be signed by a device: the ``Envelope`` of ``services.ingest.auth`` as JSON in the
``X-Cargotrail-Envelope`` header, over the exact request body. A signed batch may only hold that
device's readings. The answer lists every rejection with its index in the array, field and reason:
200 when the batch was processed (some records may be rejected), 400 when the body is not a JSON
array, 401 when the signature is refused (or missing while ``require_signature``), 413 when too big.
"""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import msgspec
from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from cargotrail.contract.validate import Rejection
from cargotrail.errors import ValidationError
from cargotrail.settings import Settings
from cargotrail.wiring import ZONES_FILE, ledger_anchoring, load_zones, open_store
from services.ingest.auth import Envelope, Verifier
from services.ingest.jsonbatch import parse_json
from services.ingest.pipeline import REGISTRY_FILE, load_registry
from services.ingest.result import RAW_LIMIT
from streams.processors.pipeline import Processors
from streams.runtimes.embedded import EmbeddedRuntime

ENVELOPE_HEADER = "x-cargotrail-envelope"
MAX_BODY_BYTES = 16 * 1024 * 1024


class RecordResult(msgspec.Struct, frozen=True, kw_only=True):
    index: int  # position in the JSON array (0 for a batch-level refusal)
    record: str
    field: str
    reason: str


class BatchResult(msgspec.Struct, kw_only=True):
    accepted: int = 0
    rejected: int = 0
    rejections: list[RecordResult] = msgspec.field(default_factory=list)
    status: int = 200  # the HTTP status this outcome maps to (not part of the answer's body)


def _batch_refusal(source: str, field: str, reason: str, payload: bytes, record: str = "#batch") -> Rejection:
    raw = payload[:RAW_LIMIT].decode(errors="replace")
    return Rejection(source=source, position=0, record=record, field=field, reason=reason, raw=raw)


class IngestGateway:
    """One embedded runtime, store, device registry and replay memory per process, behind a lock."""

    def __init__(self, settings: Settings, *, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.clock = clock
        self._lock = threading.Lock()
        data_dir = settings.data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        self._registry_path = data_dir / REGISTRY_FILE
        self._registry_stamp = self._stamp(self._registry_path)
        self.verifier = Verifier(load_registry(data_dir))
        zones = load_zones(settings) if (data_dir / ZONES_FILE).exists() else []
        self.store = open_store(settings)
        self.runtime = EmbeddedRuntime(
            Processors(zones, lateness_s=settings.lateness_s, thresholds=settings.thresholds),
            self.store,
            max_future_s=settings.max_future_s,
            now=clock,
            anchoring=ledger_anchoring(settings, self.store),
        )
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

    def submit(
        self,
        payload: bytes,
        *,
        source: str,
        envelope: Envelope | None = None,
        device: str | None = None,
    ) -> BatchResult:
        """Verify (when signed), parse, dead-letter the rejected records and ingest the valid ones.

        ``device``: the sender, when the transport authenticated it (an MQTT topic under an
        authenticated connection); a signed envelope names it too. Its readings only are accepted.
        """
        with self._lock:
            if self._closed:
                raise RuntimeError("the ingest gateway is closed")
            now_s = self.clock()
            if envelope is not None:
                self._refresh_registry()
                try:
                    self.verifier.verify(envelope, payload, now=now_s)
                except ValidationError as exc:
                    refusal = _batch_refusal(source, exc.field, exc.reason, payload, exc.record or "#batch")
                    return self._refuse(refusal, now_s, status=401)
                device = envelope.device_id
            now = datetime.fromtimestamp(now_s, UTC)
            parsed = parse_json(payload, now=now, max_future_s=self.settings.max_future_s)
            if not parsed.readings and any(r.record == "#batch" for r in parsed.rejections):
                # Not one JSON element to replay: dead-lettered under the transport's name, whole.
                refusal = msgspec.structs.replace(parsed.rejections[0], source=source)
                return self._refuse(refusal, now_s, status=400)
            rejections = list(parsed.rejections)
            valid = parsed.readings
            if device is not None and any(r.device_id != device for r in valid):
                # decode_readings keeps array order: the good readings fill the positions not rejected.
                taken = {r.position for r in rejections}
                positions = [i for i in range(len(valid) + len(taken)) if i not in taken]
                rejections.extend(
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
                rejections.sort(key=lambda r: r.position)
                valid = [r for r in valid if r.device_id == device]
            if rejections:
                with self.store.unit_of_work():
                    self.store.write_dead_letters(rejections, now_s)
            if valid:
                self.runtime.ingest(valid)
            return BatchResult(
                accepted=len(valid),
                rejected=len(rejections),
                rejections=[
                    RecordResult(index=r.position, record=r.record, field=r.field, reason=r.reason)
                    for r in rejections
                ],
            )

    def _refuse(self, refusal: Rejection, now_s: float, *, status: int) -> BatchResult:
        with self.store.unit_of_work():
            self.store.write_dead_letters([refusal], now_s)
        result = RecordResult(index=0, record=refusal.record, field=refusal.field, reason=refusal.reason)
        return BatchResult(rejected=1, rejections=[result], status=status)

    def refuse(self, source: str, field: str, reason: str, payload: bytes, *, status: int) -> BatchResult:
        """Dead-letter a message the transport refused before parsing (bad envelope, bad topic)."""
        with self._lock:
            return self._refuse(_batch_refusal(source, field, reason, payload), self.clock(), status=status)

    def close(self) -> None:
        """Flush the reorder buffer and the last anchor batch, then close the store (idempotent)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            try:
                self.runtime.finish()
            finally:
                self.store.close()


def _answer(result: BatchResult) -> Response:
    body = {"accepted": result.accepted, "rejected": result.rejected, "rejections": result.rejections}
    return Response(
        content=msgspec.json.encode(body), status_code=result.status, media_type="application/json"
    )


def create_app(gateway: IngestGateway, *, require_signature: bool = False) -> FastAPI:
    """The ASGI app over ``gateway``; the gateway is closed when the app shuts down."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await run_in_threadpool(gateway.close)

    app = FastAPI(title="cargotrail ingest", version="1", lifespan=lifespan)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/v1/readings")
    async def post_readings(request: Request) -> Response:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            return JSONResponse({"detail": f"body over {MAX_BODY_BYTES} bytes"}, status_code=413)
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return JSONResponse({"detail": f"body over {MAX_BODY_BYTES} bytes"}, status_code=413)
        header = request.headers.get(ENVELOPE_HEADER)
        envelope: Envelope | None = None
        if header is not None:
            try:
                envelope = msgspec.json.decode(header, type=Envelope)
            except msgspec.DecodeError as exc:
                reason = f"malformed {ENVELOPE_HEADER} header: {exc}"
                return _answer(
                    await run_in_threadpool(gateway.refuse, "http", "envelope", reason, body, status=401)
                )
        elif require_signature:
            reason = f"unsigned: this server requires the {ENVELOPE_HEADER} header"
            return _answer(
                await run_in_threadpool(gateway.refuse, "http", "envelope", reason, body, status=401)
            )
        return _answer(await run_in_threadpool(gateway.submit, body, source="http", envelope=envelope))

    return app

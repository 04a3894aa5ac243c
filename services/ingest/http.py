"""HTTP batch ingest: ``POST /v1/readings`` with a JSON array of readings, into the ingest gateway.

A request may be signed by a device: the ``Envelope`` of ``services.ingest.auth`` as JSON in the
``X-Cargotrail-Envelope`` header, over the exact request body. A signed batch may only hold that
device's readings. The answer lists every rejection with its index in the array, field and reason:
200 when the batch was processed (some records may be rejected), 400 when the body is not a JSON
array, 401 when the signature is refused (or missing while ``require_signature``), 413 when too big.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager

import msgspec
from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from services.ingest.auth import Envelope
from services.ingest.gateway import BatchResult, IngestGateway

ENVELOPE_HEADER = "x-cargotrail-envelope"
MAX_BODY_BYTES = 16 * 1024 * 1024


def _answer(result: BatchResult) -> Response:
    body = {"accepted": result.accepted, "rejected": result.rejected, "rejections": result.rejections}
    return Response(
        content=msgspec.json.encode(body), status_code=result.status, media_type="application/json"
    )


def create_app(
    gateway: IngestGateway, *, require_signature: bool = False, stop_first: Sequence[Callable[[], None]] = ()
) -> FastAPI:
    """The ASGI app over ``gateway``; the gateway is closed when the app shuts down.

    ``stop_first``: the other transports feeding the gateway (MQTT, NMEA streams), stopped before it
    closes, so that none hands it a message it can no longer take.
    """

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            for stop in stop_first:
                await run_in_threadpool(stop)
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

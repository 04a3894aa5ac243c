"""The FastAPI application: one store, the ledger, the token file, and the routers.

``create_app(settings)`` opens the data directory's store (``cargotrail.wiring.open_store``) and reads
the ledger on demand (the local ledger is re-read when its log grows, so a running pipeline's new
anchors are seen). Store calls are serialised by a lock: one SQLite connection serves every request.
Errors of cargotrail become JSON ``{"detail": reason}``: 503 when the store or ledger cannot be reached
or is not set up, 500 otherwise.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from cargotrail.errors import CargotrailError, ConfigError, LedgerUnavailable, StoreUnavailable
from cargotrail.settings import Settings
from services.api.live import LiveConfig, LiveHub
from services.api.models import Health
from services.api.tokens import TokenStore
from store.base import Change, Repository

if TYPE_CHECKING:
    from ledger.fabric.ledger import FabricLedger
    from ledger.local import LocalLedger

API_VERSION = "1.0.0"


class ApiContext:
    """What the routes share: the store (behind a lock), the ledger and the tokens."""

    def __init__(self, settings: Settings, store: Repository, tokens: TokenStore) -> None:
        self.settings = settings
        self.store = store
        self.tokens = tokens
        self.lock = threading.Lock()
        self._ledger: LocalLedger | FabricLedger | None = None
        self._stamp: tuple[float, int] | None = None

    def ledger(self) -> LocalLedger | FabricLedger:
        """The ledger; a local one is reopened (and its log re-verified) when its log has changed."""
        from cargotrail.wiring import LEDGER_DIR, open_ledger
        from ledger.local import LOG_NAME

        if self.settings.ledger != "local":
            if self._ledger is None:
                self._ledger = open_ledger(self.settings)
            return self._ledger
        log = self.settings.data_dir / LEDGER_DIR / LOG_NAME
        try:
            st = log.stat()
        except FileNotFoundError:
            raise ConfigError(f"no local ledger in {log.parent}: nothing has been anchored yet") from None
        stamp = (st.st_mtime, st.st_size)
        if self._ledger is None or stamp != self._stamp:
            self._ledger, self._stamp = open_ledger(self.settings), stamp
        return self._ledger


def context(request: Request) -> ApiContext:
    ctx: ApiContext = request.app.state.ctx
    return ctx


def locked_store(request: Request) -> Iterator[Repository]:
    """A dependency: the store, held for this request alone."""
    ctx = context(request)
    with ctx.lock:
        yield ctx.store


def live_hub(ctx: ApiContext, config: LiveConfig) -> LiveHub:
    """The live feed's hub over the context's store (store calls in a worker thread, under the lock)."""

    def fetch(cursor: str, limit: int) -> list[Change]:
        with ctx.lock:
            return ctx.store.changes_after(cursor, limit)

    def head() -> str:
        with ctx.lock:
            return ctx.store.change_head()

    async def fetch_async(cursor: str, limit: int) -> list[Change]:
        return await asyncio.to_thread(fetch, cursor, limit)

    async def head_async() -> str:
        return await asyncio.to_thread(head)

    return LiveHub(fetch_async, head_async, config)


def _error_status(exc: CargotrailError) -> int:
    return 503 if isinstance(exc, StoreUnavailable | LedgerUnavailable | ConfigError) else 500


def create_app(
    settings: Settings, *, store: Repository | None = None, live: LiveConfig = LiveConfig()
) -> FastAPI:
    """The API over the data directory of ``settings`` (or over ``store`` when given)."""
    from cargotrail.wiring import open_store
    from services.api.routes_audit import router as audit_router
    from services.api.routes_epcis import router as epcis_router
    from services.api.routes_live import router as live_router
    from services.api.routes_read import router as read_router
    from services.api.routes_triage import router as triage_router

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await app.state.live.stop()  # end the live streams, so that shutdown does not wait on them

    app = FastAPI(
        lifespan=lifespan,
        title="cargotrail API",
        version=API_VERSION,
        description=(
            "Container positions, tracks, geofence events, RFID reads, alerts and their triage, "
            "DCSA Track & Trace equipment events, EPCIS 2.0 query documents, Merkle proofs and ledger "
            "anchors, and a live feed (server-sent events) of positions, geofence events and alerts. "
            "Every /v1 endpoint needs `Authorization: Bearer <token>` (`cargotrail api-token create`); "
            "roles: operator (read, triage), auditor (read, verify), admin (all), integrator (ingest "
            "only: refused here)."
        ),
    )
    tokens = TokenStore.for_data_dir(settings.data_dir)
    app.state.tokens = tokens
    app.state.ctx = ApiContext(settings, store if store is not None else open_store(settings), tokens)
    app.state.live = live_hub(app.state.ctx, live)

    @app.exception_handler(CargotrailError)
    def _cargotrail_error(request: Request, exc: CargotrailError) -> JSONResponse:
        return JSONResponse(status_code=_error_status(exc), content={"detail": str(exc)})

    @app.get("/health", tags=["service"])
    def health() -> Health:
        """Liveness: no token needed."""
        return Health()

    app.include_router(read_router)
    app.include_router(triage_router)
    app.include_router(audit_router)
    app.include_router(epcis_router)
    app.include_router(live_router)
    return app

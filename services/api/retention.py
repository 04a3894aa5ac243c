"""Retention of the live feed's change log: the API cuts it back to a window of changes while it serves.

The API is the log's only reader and the one that promises clients they can resume, so it keeps the
window (``Settings.live_retain_changes``, every ``LiveConfig.prune_s``): the pipeline's sink stays a
plain writer with nothing extra on its hot path, and a store nobody serves grows only by one small
row per geofence event and per alert until an API opens it. A client behind the window is told to
resync (``CursorExpired``: HTTP 410 or a ``resync`` event), never left with a silent gap.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from cargotrail.errors import CargotrailError

log = logging.getLogger("cargotrail.api.retention")


async def prune_periodically(prune: Callable[[], int], every_s: float) -> None:
    """Call ``prune`` (blocking: run in a worker thread) now and every ``every_s`` until cancelled.

    Store errors are logged and retried at the next round (an outage must not stop retention).
    """
    while True:
        try:
            dropped = await asyncio.to_thread(prune)
        except CargotrailError as exc:
            log.warning("live feed retention: pruning failed (retrying in %.0f s): %s", every_s, exc)
        else:
            if dropped:
                log.info("live feed retention: dropped the %d oldest changes", dropped)
        await asyncio.sleep(every_s)

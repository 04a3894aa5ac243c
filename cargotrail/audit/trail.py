"""Verify a container's whole trail over a time window: every record, and the chain behind them.

Contract: ``verify_trail`` reads every record of the container with
``start <= ts <= end`` (readings of every flag — late and GPS-jump ones are
anchored too — RFID reads, geofence events, alerts), verifies each one as
``check.verify_record`` does, then checks the batch chain of every stream
involved (see ``chain``). It returns a ``TrailReport``; ``ok`` is true only
when every record verified and no chain problem was found. Verification
failures never raise; a ledger or store that cannot be read does.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import msgspec

from cargotrail.audit.chain import CachedLedger, ChainReader, check_chains
from cargotrail.audit.check import RecordCheck, verify_stored
from ledger.core.batch import ChainProblem
from store.base import Repository

Progress = Callable[[int, int], None]
"""Called as ``progress(done, total)`` after each record is verified."""


class TrailReport(msgspec.Struct, frozen=True, kw_only=True):
    """The verdict on one container's trail.

    ``records`` were found in the window; ``verified`` of them passed and
    ``failed`` did not (each in ``failures``). ``batches`` lists the batches
    that hold them, in chain order, and ``chain_problems`` everything wrong
    with those batches' chains, on the ledger or in the store.
    """

    container_id: str
    start: datetime
    end: datetime
    ok: bool
    records: int
    verified: int
    failed: int
    failures: list[RecordCheck]
    chain_problems: list[ChainProblem]
    batches: list[str]
    streams: list[str]

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = msgspec.to_builtins(self)
        data["chain_problems"] = [
            dict(p, message=str(c)) for p, c in zip(data["chain_problems"], self.chain_problems, strict=True)
        ]
        return data


def as_utc(t: datetime) -> datetime:
    """``t`` in UTC; a naive time is taken to be UTC already (the store keeps UTC)."""
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def verify_trail(
    store: Repository,
    ledger: ChainReader,
    container_id: str,
    start: datetime,
    end: datetime,
    *,
    progress: Progress | None = None,
) -> TrailReport:
    """Verify every record of ``container_id`` in ``[start, end]`` and its chain (see the module contract)."""
    start, end = as_utc(start), as_utc(end)
    cached = CachedLedger(ledger)
    stored = store.records_for(container_id, start.timestamp(), end.timestamp())
    failures: list[RecordCheck] = []
    batches: set[str] = set()
    for done, record in enumerate(stored, 1):
        check = verify_stored(store, cached, record)
        if check.batch_id:
            batches.add(check.batch_id)
        if not check.ok:
            failures.append(check)
        if progress is not None:
            progress(done, len(stored))
    problems, ordered, streams = check_chains(store, cached, batches)
    return TrailReport(
        container_id=container_id,
        start=start,
        end=end,
        ok=not failures and not problems,
        records=len(stored),
        verified=len(stored) - len(failures),
        failed=len(failures),
        failures=failures,
        chain_problems=problems,
        batches=ordered,
        streams=streams,
    )

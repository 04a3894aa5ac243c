"""Proofs and anchors: a record's Merkle proof, its verification against the ledger, its proof bundle.

Verification is ``cargotrail.audit.verify_record``: the store is not trusted, the ledger's root is. A
failed check is a 200 with ``ok: false`` and the reason (it is a verdict, not an error); a record the
store does not hold is a 404.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request

from cargotrail.audit import NOT_IN_STORE, export_bundle, verify_record
from cargotrail.errors import StoreError
from ledger.local import LocalLedger
from services.api.app import context, locked_store
from services.api.auth import AUTH_RESPONSES, Principal, can_read, can_verify
from services.api.models import (
    AnchorOut,
    ErrorOut,
    ProofOut,
    ProofView,
    RecordCheckOut,
    from_struct,
    from_structs,
)
from store.base import Repository

router = APIRouter(prefix="/v1", tags=["audit"], responses=AUTH_RESPONSES)

Reader = Annotated[Principal, Depends(can_read)]
Verifier = Annotated[Principal, Depends(can_verify)]
Store = Annotated[Repository, Depends(locked_store)]
RecordId = Annotated[str, Path(min_length=1, max_length=128)]
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "no such record, proof or batch"}
}


@router.get("/proofs/{record_id}", responses=NOT_FOUND)
def proof(record_id: RecordId, _: Verifier, store: Store) -> ProofView:
    """The record's Merkle inclusion proof and its batch's anchor as the store holds them (unverified)."""
    found = store.proof(record_id)
    if found is None:
        raise HTTPException(
            status_code=404, detail=f"record {record_id} has no proof: unknown or not anchored yet"
        )
    anchor = store.anchor(found.batch_id)
    return ProofView(
        proof=from_struct(ProofOut, found), anchor=None if anchor is None else from_struct(AnchorOut, anchor)
    )


@router.get("/proofs/{record_id}/verify", responses=NOT_FOUND)
def verify(record_id: RecordId, request: Request, _: Verifier, store: Store) -> RecordCheckOut:
    """Verify the stored record against the root its ledger holds (record -> leaf -> path -> root)."""
    check = verify_record(store, context(request).ledger(), record_id)
    if check.problem == NOT_IN_STORE:
        raise HTTPException(status_code=404, detail=f"record {record_id} is not in the store")
    return from_struct(RecordCheckOut, check)


@router.get(
    "/proofs/{record_id}/bundle",
    responses={**NOT_FOUND, 501: {"model": ErrorOut, "description": "ledger without"}},
)
def bundle(record_id: RecordId, request: Request, _: Verifier, store: Store) -> dict[str, Any]:
    """The record's proof bundle (``cargotrail proof verify`` checks it offline with the ledger's key)."""
    ledger = context(request).ledger()
    if not isinstance(ledger, LocalLedger):
        raise HTTPException(status_code=501, detail=f"the {ledger.kind.value} ledger has no offline bundles")
    try:
        return export_bundle(store, ledger, record_id)
    except StoreError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None


@router.get("/anchors")
def anchors(
    _: Reader,
    store: Store,
    stream: Annotated[str | None, Query(max_length=128)] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> list[AnchorOut]:
    """Anchored Merkle batches (as the store holds their receipts)."""
    return from_structs(AnchorOut, store.anchors(stream, limit))


@router.get("/anchors/{batch_id}", responses=NOT_FOUND)
def anchor(batch_id: RecordId, _: Reader, store: Store) -> AnchorOut:
    """One anchored batch."""
    found = store.anchor(batch_id)
    if found is None:
        raise HTTPException(status_code=404, detail=f"batch {batch_id} is not anchored")
    return from_struct(AnchorOut, found)

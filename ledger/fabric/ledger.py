"""``FabricLedger``: the ``ledger.base.Ledger`` promises kept on Hyperledger Fabric.

Batch headers go to the ``anchors`` chaincode (ledger/chaincode), which enforces once-only,
in-order anchoring for every client, endorsed by both organisations. This adapter adds:

- an identical re-anchor (a replay after a crash) is answered from the ledger without a new
  transaction; a conflicting one is refused with the stored root and transaction named;
- receipts carry the Fabric transaction id and the block number (looked up with qscc for
  anchors made earlier);
- ``verify_entry`` fetches the anchoring block and runs ``ledger.fabric.audit.check_block``
  against the organisations' CA certificates.

Errors: ``FabricUnavailable`` (a ``LedgerUnavailable``) when retrying can help; any other
``FabricError`` (a ``LedgerError``) is a refusal.
"""

from __future__ import annotations

import builtins
import json
import time
from collections.abc import Mapping
from typing import Any

import msgspec

from cargotrail.contract.records import AnchorReceipt, LedgerKind
from cargotrail.errors import LedgerError, VerificationError
from ledger.base import DEFAULT_LIST_LIMIT
from ledger.core.batch import BatchHeader
from ledger.fabric.anchor_json import header_from_anchor
from ledger.fabric.audit import REQUIRED_ORGS, check_block, evidence
from ledger.fabric.errors import FabricUnavailable
from ledger.fabric.gateway import Gateway

PAGE = 1000  # the chaincode's largest ListAnchors page


def _ts(value: Any) -> str:
    return msgspec.json.encode(value).decode().strip('"')


class FabricLedger:
    """The Fabric ledger through one Gateway (see the module docstring)."""

    kind = LedgerKind.FABRIC

    def __init__(
        self, gateway: Gateway, org_cas: Mapping[str, bytes], required_orgs: tuple[str, ...] = REQUIRED_ORGS
    ) -> None:
        self._gw = gateway
        self._org_cas = dict(org_cas)
        self._required = required_orgs
        self._blocks: dict[str, int] = {}  # tx id -> block number, filled as we learn them

    @property
    def gateway(self) -> Gateway:
        return self._gw

    def _anchor_json(self, batch_id: str) -> dict[str, Any] | None:
        raw = self._gw.evaluate("GetAnchor", [batch_id], batch_id=batch_id)
        return json.loads(raw) if raw else None

    def _block_of(self, tx_id: str) -> int:
        if tx_id not in self._blocks:
            from fabric_protos.common import common_pb2

            block = common_pb2.Block.FromString(self._gw.block_by_tx_id(tx_id))
            self._blocks[tx_id] = block.header.number
        return self._blocks[tx_id]

    def _receipt(self, a: Mapping[str, Any]) -> AnchorReceipt:
        tx_id = str(a["txId"])
        return header_from_anchor(a).receipt(
            ledger=LedgerKind.FABRIC, tx_id=tx_id, block=self._block_of(tx_id)
        )

    def anchor(self, header: BatchHeader) -> AnchorReceipt:
        stored = self._anchor_json(header.batch_id)
        if stored is not None:
            if header_from_anchor(stored) == header:
                return self._receipt(stored)  # idempotent replay: no new transaction
            raise LedgerError(
                f"batch {header.batch_id} is already anchored with root {stored['root']}"
                f" (size {stored['size']}); refusing root {header.root} (size {header.size})",
                batch_id=header.batch_id,
                tx_id=str(stored["txId"]),
            )
        args = [
            header.batch_id,
            header.stream,
            str(header.seq),
            header.root,
            str(header.size),
            _ts(header.first_ts),
            _ts(header.last_ts),
            header.prev_root,
        ]
        committed = self._gw.submit("Anchor", args, batch_id=header.batch_id)
        self._blocks[committed.tx_id] = committed.block
        return header.receipt(ledger=LedgerKind.FABRIC, tx_id=committed.tx_id, block=committed.block)

    def get(self, batch_id: str) -> AnchorReceipt | None:
        stored = self._anchor_json(batch_id)
        return None if stored is None else self._receipt(stored)

    def wait_writable(self, timeout_s: float = 60.0) -> None:
        """Return once a transaction can be endorsed by both organisations, ordered and committed.

        A network just (re)started answers queries before it can take writes: gossip has not yet
        told each peer's discovery what the other organisation's peer runs ("no combination of
        peers can be derived"), or Raft has no leader yet ("no orderers could successfully
        process transaction"). The probe is a read-only transaction (``GetTip``): it is committed
        but changes no state. ``FabricUnavailable`` after ``timeout_s``.
        """
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                self._gw.submit("GetTip", ["readiness-probe"])
                return
            except FabricUnavailable:
                if time.monotonic() >= deadline:
                    raise
            time.sleep(0.5)

    def tip(self, stream: str) -> BatchHeader | None:
        raw = self._gw.evaluate("GetTip", [stream])
        return header_from_anchor(json.loads(raw)) if raw else None

    def list(
        self, stream: str, after_seq: int | None = None, limit: int = DEFAULT_LIST_LIMIT
    ) -> builtins.list[BatchHeader]:
        out: builtins.list[BatchHeader] = []
        after = -1 if after_seq is None else after_seq
        bookmark = ""
        while len(out) < limit:
            size = min(PAGE, limit - len(out))
            page = json.loads(self._gw.evaluate("ListAnchors", [stream, str(after), str(size), bookmark]))
            out.extend(header_from_anchor(a) for a in page["anchors"])
            bookmark = page["bookmark"]
            if not bookmark:
                break
        return out

    def block_bytes(self, receipt: AnchorReceipt) -> bytes:
        """The serialized block holding the receipt's transaction (for proof bundles)."""
        return self._gw.block_by_tx_id(receipt.tx_id)

    def signed_entry(self, batch_id: str) -> dict[str, Any] | None:
        """Offline evidence of an anchored batch for a proof bundle (``audit.evidence``), or None.

        The block of the anchoring transaction and the CA certificates it was checked against;
        ``audit.check_evidence`` verifies it with no network.
        """
        receipt = self.get(batch_id)
        return None if receipt is None else evidence(self.block_bytes(receipt), self._org_cas)

    def verify_entry(self, receipt: AnchorReceipt) -> None:
        if receipt.ledger != LedgerKind.FABRIC:
            raise VerificationError(
                f"ledger of batch {receipt.batch_id}", expected="fabric", found=receipt.ledger
            )
        try:
            block = self.block_bytes(receipt)
        except LedgerError as exc:
            raise VerificationError(
                f"block of tx {receipt.tx_id} (batch {receipt.batch_id})",
                expected="on the channel",
                found=str(exc),
            ) from exc
        check_block(block, receipt, self._org_cas, required_orgs=self._required, chaincode=self._gw.chaincode)

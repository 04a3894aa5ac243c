"""The ledger interface: where batch roots are anchored.

Two implementations: ``ledger.local.LocalLedger`` (embedded default, a signed
hash-chained log in a directory) and, later, the Hyperledger Fabric gateway
client. Both keep the same promises:

- ``anchor`` records a batch header once. Re-anchoring an identical header is
  idempotent and returns the existing receipt (a replay after a crash is
  safe); the same batch id with anything different raises ``LedgerError``.
- A stream's batches are anchored in order: ``seq`` must be the stream's next
  sequence number and ``prev_root`` its last anchored root (``GENESIS_ROOT``
  first), otherwise ``LedgerError`` — a gap or fork is refused at write time.
- ``LedgerUnavailable`` means "not now, retry"; every other ``LedgerError``
  is a refusal that a retry will not change.

Errors (from ``cargotrail.errors``)::

    LedgerError            refused or failed (batch_id, tx_id carried)
    └── LedgerUnavailable  cannot be reached right now (retryable)
    VerificationError      verify_entry found the ledger disagrees
"""

from __future__ import annotations

import builtins
from typing import Protocol

from cargotrail.contract.records import AnchorReceipt, LedgerKind
from cargotrail.errors import LedgerError, LedgerUnavailable
from ledger.core.batch import BatchHeader

__all__ = ["Ledger", "LedgerError", "LedgerUnavailable"]

DEFAULT_LIST_LIMIT = 1000


class Ledger(Protocol):
    """What the anchorer and the auditor need from a ledger."""

    @property
    def kind(self) -> LedgerKind:
        """Which ledger this is (goes into every receipt)."""
        ...

    def anchor(self, header: BatchHeader) -> AnchorReceipt:
        """Record ``header`` (see the module contract) and return its receipt."""
        ...

    def get(self, batch_id: str) -> AnchorReceipt | None:
        """The receipt of an anchored batch, or None if the ledger has no such batch."""
        ...

    def tip(self, stream: str) -> BatchHeader | None:
        """The last anchored header of ``stream`` (to resume a lost batcher position)."""
        ...

    def list(
        self, stream: str, after_seq: int | None = None, limit: int = DEFAULT_LIST_LIMIT
    ) -> builtins.list[BatchHeader]:
        """Anchored headers of ``stream`` with seq > ``after_seq``, ascending, at most ``limit``."""
        ...

    def verify_entry(self, receipt: AnchorReceipt) -> None:
        """Raise ``VerificationError`` unless the ledger holds exactly this receipt."""
        ...

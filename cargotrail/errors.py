"""The one exception tree of cargotrail.

Every error raised on purpose by cargotrail derives from ``CargotrailError``.
Third-party errors (Kafka, psycopg, gRPC, sqlite3) are translated at the
boundary into one of these, carrying the ids a user needs to act on them.

    CargotrailError
    ├── ConfigError            a setting is missing or malformed
    ├── ValidationError        one input record is invalid (field + record named)
    ├── ZoneError              a geofence definition is invalid
    ├── StoreError             the store failed (database, schema, I/O)
    │   ├── StoreUnavailable   the store cannot be reached right now (retryable)
    │   └── StoreCorrupt       a stored row cannot be read back (damaged or tampered with)
    ├── LedgerError            the ledger refused or failed an operation
    │   └── LedgerUnavailable  the ledger cannot be reached right now (retryable)
    └── VerificationError      an auditor check failed (what, expected, found)
"""

from __future__ import annotations


class CargotrailError(Exception):
    """Root of every error cargotrail raises on purpose."""


class ConfigError(CargotrailError):
    """A setting is missing or malformed."""


class ValidationError(CargotrailError):
    """One input record is invalid.

    ``field`` names the offending field, ``record`` identifies the record
    (container, device and sequence number when known, else its position).
    """

    def __init__(self, reason: str, *, field: str = "", record: str = "") -> None:
        self.reason = reason
        self.field = field
        self.record = record
        where = " ".join(
            p for p in (f"record {record}" if record else "", f"field {field!r}" if field else "") if p
        )
        super().__init__(f"{where}: {reason}" if where else reason)


class ZoneError(CargotrailError):
    """A geofence zone definition is invalid (the zone id is named)."""


class StoreError(CargotrailError):
    """The store failed."""


class StoreUnavailable(StoreError):
    """The store cannot be reached right now; the caller may retry."""


class StoreCorrupt(StoreError):
    """A stored row cannot be read back as what was written (damaged or tampered with)."""


class LedgerError(CargotrailError):
    """The ledger refused or failed an operation (batch and transaction ids named)."""

    def __init__(self, message: str, *, batch_id: str = "", tx_id: str = "") -> None:
        self.batch_id = batch_id
        self.tx_id = tx_id
        super().__init__(message)


class LedgerUnavailable(LedgerError):
    """The ledger cannot be reached right now; the caller may retry."""


class VerificationError(CargotrailError):
    """An auditor check failed: ``what`` failed, with ``expected`` and ``found``."""

    def __init__(self, what: str, *, expected: str = "", found: str = "") -> None:
        self.what = what
        self.expected = expected
        self.found = found
        detail = f" (expected {expected}, found {found})" if expected or found else ""
        super().__init__(f"{what}{detail}")

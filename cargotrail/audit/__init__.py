"""Auditor verification: prove, without trusting the store, that a trail is what was anchored.

- ``verify_record``: one stored record against the root its ledger holds.
- ``verify_trail``: every record of a container over a time window, plus the
  batch chains behind them (ledger chain, store anchors against the ledger).
- ``export_bundle`` / ``verify_bundle``: one record with everything needed to
  verify it offline: with the local ledger's public key, or with the Fabric
  organisations' CA certificates (``bundle_ledger`` says which it needs).
- ``sample_verification``: a deterministic spot check for run reports.

Failed checks are values (``RecordCheck``, ``TrailReport``), never
exceptions; ``StoreError``/``LedgerError`` mean something could not be read.
"""

from cargotrail.audit.bundle import BUNDLE_VERSION, BundleCheck, bundle_ledger, export_bundle, verify_bundle
from cargotrail.audit.check import NO_PROOF, NOT_IN_STORE, RecordCheck, verify_record
from cargotrail.audit.sample import sample_verification
from cargotrail.audit.trail import TrailReport, verify_trail

__all__ = [
    "BUNDLE_VERSION",
    "NOT_IN_STORE",
    "NO_PROOF",
    "BundleCheck",
    "RecordCheck",
    "TrailReport",
    "bundle_ledger",
    "export_bundle",
    "sample_verification",
    "verify_bundle",
    "verify_record",
    "verify_trail",
]

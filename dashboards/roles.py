"""The dashboard's roles, standing in for the API's bearer-token roles until SSO (no Streamlit here).

They match ``services.api.auth``: operators triage, auditors read and verify, integrators only ingest
(so they see nothing here), admins do everything. The API has no zone routes: editing geofences is the
admins' alone (everyone who reads sees them).
"""

from __future__ import annotations

ROLES = ("operator", "auditor", "integrator", "admin")
READERS = frozenset({"operator", "auditor", "admin"})
VERIFIERS = frozenset({"operator", "auditor", "admin"})
TRIAGERS = frozenset({"operator", "admin"})
ZONE_EDITORS = frozenset({"admin"})


def may_read(role: str) -> bool:
    return role in READERS


def may_verify(role: str) -> bool:
    return role in VERIFIERS


def may_triage(role: str) -> bool:
    return role in TRIAGERS


def may_edit_zones(role: str) -> bool:
    return role in ZONE_EDITORS

"""What the Audit page shows: anchored batches over time, trail and bundle verdicts (no Streamlit here)."""

from __future__ import annotations

import json
from datetime import UTC
from typing import Any

import pandas as pd

from cargotrail.audit import RecordCheck, TrailReport
from cargotrail.contract.records import AnchorReceipt

ANCHOR_COLUMNS = ["anchored (UTC)", "stream", "batch_id", "records", "first (UTC)", "ledger", "tx_id"]


def anchors_frame(anchors: list[AnchorReceipt]) -> pd.DataFrame:
    """One row per anchored batch, oldest first."""
    rows = [
        {
            "anchored (UTC)": a.last_ts.astimezone(UTC).replace(tzinfo=None),
            "stream": a.stream,
            "batch_id": a.batch_id,
            "records": a.size,
            "first (UTC)": a.first_ts.astimezone(UTC).replace(tzinfo=None),
            "ledger": a.ledger.value,
            "tx_id": a.tx_id,
        }
        for a in sorted(anchors, key=lambda a: (a.last_ts, a.batch_id))
    ]
    return pd.DataFrame(rows, columns=ANCHOR_COLUMNS)


def anchored_per_hour(frame: pd.DataFrame) -> pd.DataFrame:
    """Records anchored per hour (by the batch's last record), for a bar chart."""
    if frame.empty:
        return pd.DataFrame({"records": pd.Series(dtype="int64")}, index=pd.DatetimeIndex([], name="hour"))
    hours = frame["anchored (UTC)"].dt.floor("h").rename("hour")
    return frame.groupby(hours)["records"].sum().to_frame()


def trail_summary(report: TrailReport) -> dict[str, Any]:
    return {
        "ok": report.ok,
        "records": report.records,
        "verified": report.verified,
        "failed": report.failed,
        "batches": len(report.batches),
        "chain problems": len(report.chain_problems),
    }


def checks_frame(checks: list[RecordCheck]) -> pd.DataFrame:
    rows = [
        {"record_id": c.record_id, "kind": c.kind, "batch_id": c.batch_id, "ok": c.ok, "problem": c.problem}
        for c in checks
    ]
    return pd.DataFrame(rows, columns=["record_id", "kind", "batch_id", "ok", "problem"])


def parse_bundle(data: bytes) -> tuple[object | None, str]:
    """The uploaded bundle's JSON, or None and why it could not be read."""
    try:
        return json.loads(data), ""
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return None, f"not a JSON proof bundle: {exc}"

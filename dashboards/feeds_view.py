"""What the Feeds page shows: devices by source, last seen per device, the DLQ (no Streamlit here)."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime

import pandas as pd

from cargotrail.contract.records import Reading
from dashboards.records import load
from store.base import DeadLetter, Position, Repository

DEVICE_COLUMNS = ["device", "container", "source", "last seen (UTC)", "silent", "lat", "lon"]
_DETAIL = re.compile(r"`[^`]*`|'[^']*'|\"[^\"]*\"|-?\d+(\.\d+)?")


def devices_frame(store: Repository, positions: list[Position], newest: float | None) -> pd.DataFrame:
    """Last seen per device, most silent first; ``silent`` is measured from ``newest`` (device time)."""
    top = newest if newest is not None else max((p.ts for p in positions), default=0.0)
    rows = []
    for p in positions:
        record = load(store, p.reading_id)
        rows.append(
            {
                "device": p.device_id,
                "container": p.container_id,
                "source": record.source if isinstance(record, Reading) else "?",
                "last seen (UTC)": datetime.fromtimestamp(p.ts, UTC).strftime("%Y-%m-%d %H:%M"),
                "silent": _hours(top - p.ts),
                "lat": p.lat,
                "lon": p.lon,
            }
        )
    frame = pd.DataFrame(rows, columns=DEVICE_COLUMNS)
    return frame.sort_values(["silent", "device"], ascending=[False, True], ignore_index=True)


def _hours(seconds: float) -> str:
    return f"{max(0.0, seconds) / 3600:.1f} h"


def per_source(devices: pd.DataFrame) -> pd.DataFrame:
    """Devices per source (the source of each device's latest reading)."""
    counts = Counter(devices["source"]) if not devices.empty else Counter[str]()
    rows = [{"source": s, "devices": n} for s, n in sorted(counts.items())]
    return pd.DataFrame(rows, columns=["source", "devices"])


def reason_class(reason: str) -> str:
    """A DLQ reason without its particulars (quoted values, numbers), so that alike reasons group."""
    return _DETAIL.sub("…", reason).strip()


def dlq_reasons(letters: list[DeadLetter]) -> pd.DataFrame:
    """Dead letters grouped by source, field and reason, most frequent first."""
    counts = Counter(
        (d.rejection.source, d.rejection.field, reason_class(d.rejection.reason)) for d in letters
    )
    rows = [{"source": s, "field": f, "reason": r, "count": n} for (s, f, r), n in counts.items()]
    frame = pd.DataFrame(rows, columns=["source", "field", "reason", "count"])
    return frame.sort_values(["count", "source", "field"], ascending=[False, True, True], ignore_index=True)


def dlq_frame(letters: list[DeadLetter]) -> pd.DataFrame:
    rows = [
        {
            "time (UTC)": datetime.fromtimestamp(d.ts, UTC).strftime("%Y-%m-%d %H:%M:%S"),
            "source": d.rejection.source,
            "record": d.rejection.record,
            "field": d.rejection.field,
            "reason": d.rejection.reason,
            "replayed": d.replayed,
        }
        for d in letters
    ]
    return pd.DataFrame(rows, columns=["time (UTC)", "source", "record", "field", "reason", "replayed"])

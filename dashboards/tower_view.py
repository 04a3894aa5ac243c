"""The control tower's live part: the fleet, its filters, KPIs and map layers (no Streamlit here).

Built for 10,000 containers per refresh: columns are filled straight from the
store's rows (no per-row dicts), zone tests are vectorised (shapely 2 over
arrays), and the map gets only what it draws — one layer per status with a
fixed colour, coordinates rounded to about 10 m, no per-row colour.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pydeck as pdk
import shapely

from cargotrail.contract.carriers import carrier_of
from cargotrail.contract.records import ZoneType
from dashboards.data import SEVERITY_ORDER, STATUS_COLOURS
from dashboards.mapview import WORLD, CompactDeck
from dashboards.zones_view import map_geojson
from geofence.zones import Zone
from store.base import AlertRow, AlertStatus, Position

STATUSES = ("critical", "high", "medium", "low", "ok")
PORT_TYPES = frozenset({ZoneType.PORT, ZoneType.TERMINAL})
COORD_DECIMALS = 4  # ~11 m at the equator: finer than a tracker's fix, and a third fewer bytes


@dataclass(frozen=True)
class Filters:
    """What the operator narrowed the tower to; an empty set means all."""

    carriers: frozenset[str] = frozenset()
    zone_id: str | None = None
    statuses: frozenset[str] = field(default_factory=lambda: frozenset(STATUSES))


def fleet_frame(positions: Sequence[Position], worst: dict[str, str]) -> pd.DataFrame:
    """One row per container: where it is, since when, its status and carrier."""
    ids = [p.container_id for p in positions]
    return pd.DataFrame(
        {
            "container": ids,
            "lon": np.fromiter((p.lon for p in positions), float, len(positions)),
            "lat": np.fromiter((p.lat for p in positions), float, len(positions)),
            "ts": np.fromiter((p.ts for p in positions), float, len(positions)),
            "status": [worst.get(c, "ok") for c in ids],
            "carrier": [carrier_of(c) for c in ids],
        }
    )


def inside(frame: pd.DataFrame, area: shapely.Geometry | None) -> npt.NDArray[np.bool_]:
    """Which rows lie in ``area`` (boundary included, as in geofence.zones)."""
    if area is None or frame.empty:
        return np.zeros(len(frame), dtype=bool)
    return np.asarray(shapely.intersects_xy(area, frame["lon"].to_numpy(), frame["lat"].to_numpy()))


def port_area(zones: Sequence[Zone]) -> shapely.Geometry | None:
    """The union of port and terminal zones, prepared once per page run (zones change rarely)."""
    parts = [z.geometry for z in zones if z.zone_type in PORT_TYPES]
    if not parts:
        return None
    area = shapely.union_all(parts)
    shapely.prepare(area)
    return area


def apply_filters(frame: pd.DataFrame, filters: Filters, zones_by_id: dict[str, Zone]) -> pd.DataFrame:
    keep = frame["status"].isin(filters.statuses).to_numpy()
    if filters.carriers:
        keep = keep & frame["carrier"].isin(filters.carriers).to_numpy()
    if filters.zone_id is not None:
        zone = zones_by_id.get(filters.zone_id)
        keep = keep & inside(frame, zone.geometry if zone else None)
    return frame[keep]


def open_alerts_of(alerts: Sequence[AlertRow], containers: Collection[str]) -> list[AlertRow]:
    wanted = set(containers)
    return [r for r in alerts if r.status is not AlertStatus.RESOLVED and r.alert.container_id in wanted]


def tower_kpis(
    shown: pd.DataFrame, in_port: npt.NDArray[np.bool_], open_alerts: Sequence[AlertRow]
) -> dict[str, Any]:
    """KPIs of what the filters leave: tracked, in port, in transit, open alerts by severity, device time."""
    by_sev = Counter(r.alert.severity.value for r in open_alerts)
    newest = float(shown["ts"].max()) if not shown.empty else None
    ports = int(in_port.sum())
    return {
        "containers": len(shown),
        "in_port": ports,
        "in_transit": len(shown) - ports,
        "open_alerts": sum(by_sev.values()),
        "open_by_severity": {s: by_sev.get(s, 0) for s in SEVERITY_ORDER},
        "device_time": datetime.fromtimestamp(newest, UTC).strftime("%d %b %H:%M") if newest else "-",
    }


def readings_rate(previous: tuple[float, int] | None, now: float, readings: int) -> float | None:
    """Readings stored per second since the previous refresh (None on the first one)."""
    if previous is None or now <= previous[0]:
        return None
    return max(0.0, (readings - previous[1]) / (now - previous[0]))


def status_layers(shown: pd.DataFrame) -> list[pdk.Layer]:
    """One scatter layer per status, worst drawn last (on top), each with its fixed colour."""
    layers = []
    for status in reversed(STATUSES):
        rows = shown[shown["status"] == status]
        if rows.empty:
            continue
        data = pd.DataFrame(
            {
                "container": rows["container"],
                "lon": rows["lon"].round(COORD_DECIMALS),
                "lat": rows["lat"].round(COORD_DECIMALS),
                "status": status,
                "seen": pd.to_datetime(rows["ts"], unit="s", utc=True).dt.strftime("%d %b %H:%M"),
            }
        )
        layers.append(
            pdk.Layer(
                "ScatterplotLayer",
                data,
                id=f"status-{status}",
                get_position=["lon", "lat"],
                get_fill_color=STATUS_COLOURS[status],
                get_radius=3000,
                radius_min_pixels=3,
                radius_max_pixels=12,
                pickable=True,
            )
        )
    return layers


def zone_layer(zones: Sequence[Zone], *, include_corridors: bool, selected: str | None) -> pdk.Layer:
    return pdk.Layer(
        "GeoJsonLayer",
        map_geojson(zones, include_corridors=include_corridors, selected=selected),
        id="zones",
        stroked=True,
        filled=True,
        get_fill_color="properties.fill",
        get_line_color=[60, 120, 200, 160],
        line_width_min_pixels=1,
        pickable=False,
    )


def tower_deck(layers: list[pdk.Layer], map_style: str) -> pdk.Deck:
    return CompactDeck(
        layers=layers,
        initial_view_state=WORLD,
        map_style=map_style,
        tooltip={"text": "{container}\nstatus: {status}\nlast seen: {seen}"},
    )

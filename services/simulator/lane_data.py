"""Hand-made waypoint graph of the main container shipping lanes (``waypoints.csv``, ``lanes.csv``).

Contract: ``WAYPOINTS`` maps a waypoint name to (lat, lon); ``LANES`` is a list
of chains, each chain a list of names whose consecutive pairs are undirected
edges. A chain that starts with a UN/LOCODE is that port's approach: the name
stands for the port's berth (``ports.csv``). Edges are straight lines in
lon/lat; they were drawn to stay on water (checked against a 1 km global land
mask during development, except inside rivers, canals and narrow port
approaches, which the mask cannot resolve) and none crosses the antimeridian.
"""

from __future__ import annotations

import csv
import io
from importlib import resources


def _rows(name: str) -> list[dict[str, str]]:
    """The rows of a table shipped beside this module (each has a ``region`` column, for reading)."""
    text = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


WAYPOINTS: dict[str, tuple[float, float]] = {
    row["waypoint"]: (float(row["lat"]), float(row["lon"])) for row in _rows("waypoints.csv")
}
LANES: list[list[str]] = [row["chain"].split() for row in _rows("lanes.csv")]

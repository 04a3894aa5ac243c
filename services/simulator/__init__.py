"""Deterministic container-fleet simulator: contract records, zones and ground truth.

See ``simulator.py`` for the API contract; ``DESIGN.md`` for where it fits.
"""

from services.simulator.emit import SimBatch
from services.simulator.fleet import ContainerInfo
from services.simulator.scenarios import GroundTruth, read_ground_truth, write_ground_truth
from services.simulator.simulator import SimConfig, Simulator

__all__ = [
    "ContainerInfo",
    "GroundTruth",
    "SimBatch",
    "SimConfig",
    "Simulator",
    "read_ground_truth",
    "write_ground_truth",
]

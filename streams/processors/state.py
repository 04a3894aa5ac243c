"""Per-container rule state (msgspec, so a Kafka-backed table can hold it)."""

from __future__ import annotations

import msgspec


class ContainerState(msgspec.Struct, kw_only=True):
    """What the rules remember about one container between readings.

    ``last_*`` is the last *accepted* fix (GPS jumps are never accepted).
    Each ``*_since`` opens an episode; an episode raises at most one alert.
    """

    last_ts: float = float("-inf")
    last_lon: float = 0.0
    last_lat: float = 0.0
    last_reading_id: str = ""
    last_device_id: str = ""
    jump_open: bool = False  # inside a run of rejected (jumped) fixes
    jump_run: int = 0  # consecutive rejected fixes that agree with each other
    jump_ts: float = 0.0  # the latest rejected fix, to see whether the run is self-consistent
    jump_lon: float = 0.0
    jump_lat: float = 0.0
    outside_since: float | None = None  # left its planned corridor at
    outside_evidence: str = ""
    deviation_fired: bool = False
    stop_since: float | None = None  # stationary outside allowed zones since
    stop_lon: float = 0.0
    stop_lat: float = 0.0
    stop_evidence: str = ""
    stop_fired: bool = False
    door_open: bool = False  # door-open-outside-zone episode in progress
    temp_since: float | None = None
    temp_evidence: str = ""
    temp_fired: bool = False
    last_shock_ts: float = float("-inf")
    seen_ts: float = float("-inf")  # last in-order reading of any kind (jumps too: they are signal)
    seen_id: str = ""
    seen_lon: float = 0.0
    seen_lat: float = 0.0
    seen_device_id: str = ""
    signal_fired_for: float = float("-inf")  # seen_ts whose silence was already raised

    def quiet(self) -> bool:
        """No episode open: a batch of normal fixes changes only the last_* fields."""
        return (
            not self.jump_open
            and self.outside_since is None
            and self.stop_since is None
            and not self.door_open
            and self.temp_since is None
        )

"""The embedded sink starts on the zones in force: an admin's saved zones, else the run's file, else none."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

from cargotrail.contract.records import ZoneType
from cargotrail.settings import Settings
from cargotrail.wiring import open_store
from geofence.zones import circle_zone
from services.ingest.sinks import EmbeddedSink


def settings_in(tmp_path: Path) -> Settings:
    return dataclasses.replace(Settings(), data_dir=tmp_path / "data")


def test_without_zones_anywhere_the_sink_starts_with_none(tmp_path):
    sink = EmbeddedSink(settings_in(tmp_path), clock=time.time)
    try:
        assert [z.zone_id for z in sink.runtime.processors.index.zones] == []
    finally:
        sink.close()


def test_zones_an_admin_saved_are_used_without_a_zones_file(tmp_path):
    settings = settings_in(tmp_path)
    store = open_store(settings)
    store.save_zones([circle_zone("RTM-GATE", "Gate", ZoneType.TERMINAL, 4.05, 51.95, 300)], "Ada Admin")
    store.close()
    sink = EmbeddedSink(settings, clock=time.time)
    try:
        assert [z.zone_id for z in sink.runtime.processors.index.zones] == ["RTM-GATE"]
    finally:
        sink.close()

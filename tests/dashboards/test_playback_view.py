"""Track playback's pure logic (dashboards/playback_view.py): downsampled steps and the map at one step."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pandas as pd
import pydeck as pdk

from dashboards import playback_view

T0 = datetime(2026, 3, 1)


def track(n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "time": [T0 + timedelta(minutes=15 * i) for i in range(n)],
            "lat": [50.0 + i * 0.01 for i in range(n)],
            "lon": [4.0 + i * 0.01 for i in range(n)],
            "speed_kmh": [20.0] * n,
        }
    )


def test_a_long_track_is_downsampled_keeping_both_ends():
    long = track(2000)
    steps = playback_view.steps(long, 240)
    assert len(steps) == 240
    assert steps["time"].iloc[0] == long["time"].iloc[0] and steps["time"].iloc[-1] == long["time"].iloc[-1]
    assert steps["time"].is_monotonic_increasing
    assert len(playback_view.steps(track(10), 240)) == 10


def test_the_map_at_a_step():
    full = track(50)
    steps = playback_view.steps(full, 10)
    layers = playback_view.playback_layers(full, steps, 3)
    spec = json.loads(pdk.Deck(layers=layers).to_json())
    data = {layer["id"]: layer["data"] for layer in spec["layers"]}
    now = steps["time"].iloc[3]
    assert len(data["travelled"][0]["path"]) == int((full["time"] <= now).sum())
    assert len(data["ahead"][0]["path"]) == 50
    assert data["here"][0]["lat"] == steps["lat"].iloc[3]
    assert playback_view.playback_layers(full, steps, 0)[1].data == []  # one fix: no line yet
    assert playback_view.step_label(steps, 0).startswith("2026-03-01 00:00 UTC · 50.0000, 4.0000 · 20 km/h")


def test_playing_loops():
    assert playback_view.next_step(0, 10) == 1
    assert playback_view.next_step(8, 10, stride=4) == 9
    assert playback_view.next_step(9, 10) == 0

"""Track playback on the Container page: the steps of the slider and the map at one step (no Streamlit here).

A long track is stepped through at most ``MAX_STEPS`` evenly spaced fixes (the
first and last always kept); the path travelled so far is drawn from the whole
(store-thinned) track up to the step's time, so the line never cuts corners.
"""

from __future__ import annotations

from datetime import UTC

import numpy as np
import pandas as pd
import pydeck as pdk

MAX_STEPS = 240
TRAVELLED = [40, 90, 180]
AHEAD = [150, 150, 150, 120]
HERE = [200, 30, 45]


def steps(track: pd.DataFrame, max_steps: int = MAX_STEPS) -> pd.DataFrame:
    """At most ``max_steps`` rows of ``track`` (time order), evenly spaced, first and last included."""
    if len(track) <= max_steps:
        return track.reset_index(drop=True)
    picks = np.unique(np.linspace(0, len(track) - 1, max_steps).round().astype(int))
    return track.iloc[picks].reset_index(drop=True)


def step_label(frames: pd.DataFrame, step: int) -> str:
    row = frames.iloc[step]
    speed = row["speed_kmh"]
    when = pd.Timestamp(row["time"]).tz_localize(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"{when} · {row['lat']:.4f}, {row['lon']:.4f}" + (
        f" · {speed:.0f} km/h" if pd.notna(speed) else ""
    )


def _path(frame: pd.DataFrame) -> list[dict[str, object]]:
    if len(frame) < 2:
        return []
    coords = np.column_stack((frame["lon"].to_numpy(), frame["lat"].to_numpy())).round(5)
    return [{"path": coords.tolist()}]


def playback_layers(track: pd.DataFrame, frames: pd.DataFrame, step: int) -> list[pdk.Layer]:
    """The track ahead (grey), the track travelled up to ``frames[step]`` (blue) and the box there (red)."""
    now = frames["time"].iloc[step]
    done = track[track["time"] <= now]
    here = frames.iloc[[step]][["lon", "lat", "time"]].assign(time=lambda f: f["time"].astype(str))
    return [
        pdk.Layer(
            "PathLayer", _path(track), id="ahead", get_path="path", get_color=AHEAD, width_min_pixels=2
        ),
        pdk.Layer(
            "PathLayer", _path(done), id="travelled", get_path="path", get_color=TRAVELLED, width_min_pixels=3
        ),
        pdk.Layer(
            "ScatterplotLayer",
            here,
            id="here",
            get_position=["lon", "lat"],
            get_fill_color=HERE,
            radius_min_pixels=7,
        ),
    ]


def next_step(step: int, count: int, stride: int = 1) -> int:
    """The step after ``step`` when playing: forward by ``stride``, back to the start after the last."""
    return 0 if step >= count - 1 else min(count - 1, step + stride)

"""A seeded run per test module (pages triage, so modules do not share one), and fresh Streamlit caches."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st

from cargotrail.cli.run import RunRequest, run_simulation
from cargotrail.settings import Settings

APP = str(Path(__file__).resolve().parents[2] / "dashboards" / "app.py")


def seed(directory: Path) -> Path:
    run_simulation(
        Settings(data_dir=directory),
        RunRequest(containers=60, duration_s=86400, seed=4, anomalies_per_kind=2),
        progress=False,
    )
    return directory


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> Path:
    return seed(tmp_path_factory.mktemp("seeded"))


@pytest.fixture
def fresh_streamlit_caches():
    st.cache_resource.clear()
    st.cache_data.clear()

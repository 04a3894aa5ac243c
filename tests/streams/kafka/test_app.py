"""The Faust app's configuration (no broker needed: building an app connects to nothing yet)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cargotrail.kafka.topics import Namespace
from streams.runtimes.kafka.app import WorkerConfig, build_app


def config(datadir: Path | None) -> WorkerConfig:
    return WorkerConfig(
        bootstrap="127.0.0.1:1",
        ns=Namespace("test.app", 2),
        make_processors=lambda: pytest.fail("no processors are built before a partition is assigned"),
        max_future_s=60.0,
        anchor_records=10,
        anchor_seconds=5.0,
        datadir=datadir,
    )


def test_faust_data_goes_to_the_given_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = build_app(config(tmp_path / "data" / "faust"))
    assert Path(app.conf.datadir) == tmp_path / "data" / "faust"
    assert (tmp_path / "data" / "faust").is_dir()
    assert [p.name for p in tmp_path.iterdir()] == ["data"]  # nothing in the working directory


def test_without_a_directory_faust_data_goes_to_a_temporary_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = build_app(config(None))
    assert not Path(app.conf.datadir).is_relative_to(tmp_path)
    assert Path(app.conf.datadir).is_dir()
    assert list(tmp_path.iterdir()) == []

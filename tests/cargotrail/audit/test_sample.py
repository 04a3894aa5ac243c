"""sample_verification: a deterministic spot check for the run report."""

from __future__ import annotations

from cargotrail.audit import sample_verification
from tests.cargotrail.audit.conftest import DataSet


def test_the_sample_is_deterministic_and_verifies(data: DataSet) -> None:
    first = sample_verification(data.store, data.ledger, n=10, seed=3)
    assert first == sample_verification(data.store, data.ledger, n=10, seed=3)
    assert len(first) == 10 and len({s["record_id"] for s in first}) == 10
    assert all(s["ok"] and s["problem"] == "" for s in first)
    assert set(first[0]) == {"record_id", "kind", "ok", "problem"}
    assert first != sample_verification(data.store, data.ledger, n=10, seed=4)


def test_the_sample_reports_tampering_and_is_bounded_by_the_data(data: DataSet) -> None:
    everything = sample_verification(data.store, data.ledger, n=1000)
    assert len(everything) == 64
    victim = next(s["record_id"] for s in everything if s["kind"] == "reading")
    ((body,),) = data.sql("SELECT body FROM readings WHERE reading_id = ?", victim)
    data.sql(
        "UPDATE readings SET body = ? WHERE reading_id = ?",
        bytes(body).replace(b'"lat":', b'"lat":1'),
        victim,
    )
    again = sample_verification(data.store, data.ledger, n=1000)
    (bad,) = [s for s in again if not s["ok"]]
    assert bad["record_id"] == victim and victim in bad["problem"]

"""The carrier table (cargotrail/contract/carriers.py) shared by the simulator and the dashboard."""

from __future__ import annotations

from cargotrail.contract.carriers import CARRIER_PREFIXES, carrier_of
from services.simulator.fleet import Fleet


def test_carriers_by_owner_code():
    assert carrier_of("MSCU1234565") == carrier_of("MEDU1234565") == "MSC"
    assert carrier_of("maeu1234567") == "Maersk"
    assert carrier_of("ABCU0000001") == "other (ABC)"


def test_each_owner_code_names_one_carrier():
    prefixes = [p for ps in CARRIER_PREFIXES.values() for p in ps]
    assert len(prefixes) == len(set(prefixes))
    assert all(len(p) == 3 and p.isalpha() and p.isupper() for p in prefixes)


def test_the_dashboard_names_the_carrier_the_simulator_numbered_the_box_under():
    fleet = Fleet.build(500, seed=7, reefer_share=0.2)
    assert all(
        carrier_of(c) == carrier for c, carrier in zip(fleet.container_ids, fleet.carriers, strict=True)
    )

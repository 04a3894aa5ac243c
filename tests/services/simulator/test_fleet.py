"""Fleet identities."""

from __future__ import annotations

import numpy as np
import pytest

from cargotrail.contract.iso6346 import is_valid_container_id
from cargotrail.contract.records import ContainerClass
from services.simulator.fleet import CARRIERS, Fleet


def test_ids_valid_unique_and_real_owners() -> None:
    f = Fleet.build(20_000, seed=3)
    assert all(is_valid_container_id(c) for c in f.container_ids)
    assert len(set(f.container_ids)) == f.size and len(set(f.device_ids)) == f.size
    owners = {p + "U" for ps in CARRIERS.values() for p in ps}
    assert {c[:4] for c in f.container_ids} <= owners
    assert all(d.startswith("TRK-") and len(d) == 12 for d in f.device_ids)


def test_class_shares() -> None:
    f = Fleet.build(20_000, seed=3, reefer_share=0.2)
    share = np.mean(f.is_reefer())
    assert 0.18 < share < 0.22
    info = f.info(0)
    assert info.tag_epc.startswith("urn:epc:id:giai:") and info.tag_epc.endswith(info.container_id)
    assert isinstance(info.container_class, ContainerClass)


def test_rejects_bad_sizes() -> None:
    with pytest.raises(ValueError):
        Fleet.build(0, seed=1)
    with pytest.raises(ValueError):
        Fleet.build(10, seed=1, reefer_share=0.9, tank_share=0.2)

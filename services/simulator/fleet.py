"""The simulated fleet: containers, their trackers, RFID tags and cargo classes.

Contract: ``Fleet.build(n, seed, reefer_share)`` is deterministic; container
numbers are valid ISO 6346 under real carrier owner codes and unique (serials
are a bijection of the per-owner index), device ids ``TRK-<8 hex>`` are unique
(a bijection of the fleet index modulo 2**32). Per-container data live in
numpy arrays or plain lists indexed by fleet index, so the per-tick code never
builds Python objects per container.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cargotrail.contract.carriers import CARRIER_PREFIXES
from cargotrail.contract.iso6346 import make_container_id
from cargotrail.contract.records import ContainerClass

CARRIERS = CARRIER_PREFIXES  # carrier -> BIC owner prefixes, shared with the dashboard
_OWNERS: list[tuple[str, str]] = [(carrier, p) for carrier, ps in CARRIERS.items() for p in ps]
CLASSES: tuple[ContainerClass, ...] = tuple(ContainerClass)
_SERIAL_STRIDE = 7919  # prime, coprime with 10**6: k -> k * stride mod 10**6 is a bijection
_DEVICE_STRIDE = 2654435761  # odd, so i -> i * stride mod 2**32 is a bijection
GS1_COMPANY_PREFIX = "0614141"  # GS1's documentation prefix: these are example keys, not real assets
REEFER_SETPOINT_C = -18.0


@dataclass(frozen=True)
class ContainerInfo:
    index: int
    container_id: str
    device_id: str
    container_class: ContainerClass
    carrier: str
    tag_epc: str


class Fleet:
    """Column-oriented fleet; ``info(i)`` gives one container as an object for the API."""

    def __init__(
        self,
        container_ids: list[str],
        device_ids: list[str],
        carriers: list[str],
        class_codes: npt.NDArray[np.int8],
    ) -> None:
        self.container_ids = container_ids
        self.device_ids = device_ids
        self.carriers = carriers
        self.class_codes = class_codes  # index into CLASSES
        self.size = len(container_ids)

    @classmethod
    def build(
        cls,
        n: int,
        seed: int,
        reefer_share: float = 0.2,
        tank_share: float = 0.05,
        hazardous_share: float = 0.05,
    ) -> Fleet:
        if n < 1 or n > 1_000_000:
            raise ValueError(f"containers must be in 1..1,000,000, got {n}")
        if (
            min(reefer_share, tank_share, hazardous_share) < 0
            or reefer_share + tank_share + hazardous_share > 1
        ):
            raise ValueError("class shares must be >= 0 and add up to at most 1")
        rng = np.random.default_rng([seed, 1])
        owner_idx = rng.integers(0, len(_OWNERS), size=n)
        u = rng.random(n)
        codes = np.zeros(n, dtype=np.int8)  # DRY
        codes[u < reefer_share + tank_share + hazardous_share] = CLASSES.index(ContainerClass.HAZARDOUS)
        codes[u < reefer_share + tank_share] = CLASSES.index(ContainerClass.TANK)
        codes[u < reefer_share] = CLASSES.index(ContainerClass.REEFER)
        seen: dict[int, int] = {}
        offset = int(rng.integers(0, 1_000_000))
        container_ids: list[str] = []
        for o in owner_idx.tolist():
            k = seen.get(o, 0)
            seen[o] = k + 1
            serial = (offset + 104_729 * o + k * _SERIAL_STRIDE) % 1_000_000  # owners start apart
            container_ids.append(make_container_id(_OWNERS[o][1], serial))
        base = int(rng.integers(0, 2**32))
        dev = (base + np.arange(n, dtype=np.uint64) * np.uint64(_DEVICE_STRIDE)) % np.uint64(2**32)
        device_ids = [f"TRK-{d:08X}" for d in dev.tolist()]
        carriers = [_OWNERS[o][0] for o in owner_idx.tolist()]
        return cls(container_ids, device_ids, carriers, codes)

    def container_class(self, i: int) -> ContainerClass:
        return CLASSES[int(self.class_codes[i])]

    def is_reefer(self) -> npt.NDArray[np.bool_]:
        return np.asarray(self.class_codes == CLASSES.index(ContainerClass.REEFER))

    def tag_epc(self, i: int) -> str:
        """GS1 GIAI (individual asset) EPC URN of the container's RFID tag."""
        return f"urn:epc:id:giai:{GS1_COMPANY_PREFIX}.{self.container_ids[i]}"

    def info(self, i: int) -> ContainerInfo:
        return ContainerInfo(
            i,
            self.container_ids[i],
            self.device_ids[i],
            self.container_class(i),
            self.carriers[i],
            self.tag_epc(i),
        )

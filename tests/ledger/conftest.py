"""Record factories shared by the ledger tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cargotrail.contract.records import (
    Alert,
    AlertKind,
    BizStep,
    Explanation,
    GeofenceEvent,
    GeofenceKind,
    Reading,
    RfidRead,
    Severity,
    ZoneType,
)

T0 = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)


def reading(seq: int, device: str = "trk-1", **kw: object) -> Reading:
    base: dict[str, object] = dict(
        device_id=device,
        container_id="MSCU1234565",
        seq=seq,
        ts=T0 + timedelta(seconds=seq),
        lat=51.95 + seq * 1e-5,
        lon=4.05 - seq * 1e-5,
        speed_kmh=12.5,
        temperature_c=4.0,
    )
    base.update(kw)
    return Reading(**base)  # type: ignore[arg-type]


def mixed_records() -> list[Reading | RfidRead | GeofenceEvent | Alert]:
    return [
        reading(1),
        RfidRead(
            tag_epc="urn:epc:id:giai:4000001.1",
            container_id="MSCU1234565",
            reader_id="gate-3",
            read_point="NLRTM-G3",
            biz_step=BizStep.ARRIVING,
            ts=T0,
        ),
        GeofenceEvent(
            event_id="ev-1",
            kind=GeofenceKind.ENTER,
            container_id="MSCU1234565",
            device_id="trk-1",
            zone_id="NLRTM",
            zone_type=ZoneType.PORT,
            ts=T0,
            lat=51.9,
            lon=4.1,
            reading_id="r1",
        ),
        Alert(
            alert_id="al-1",
            kind=AlertKind.SHOCK,
            severity=Severity.HIGH,
            container_id="MSCU1234565",
            device_id="trk-1",
            ts=T0,
            lat=None,
            lon=None,
            explanation=Explanation(
                rule="shock",
                summary="Shock of 9.1 g above 5 g",
                threshold={"shock_g": 5.0},
                observed={"shock_g": 9.1},
                evidence=["r1"],
            ),
        ),
    ]

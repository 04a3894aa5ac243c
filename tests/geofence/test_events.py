"""EventMaker: a batch built at once equals one event at a time; ids hashed natively equal the reference."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from cargotrail.contract import ids
from cargotrail.contract.records import GeofenceKind, ZoneType
from geofence.events import EventMaker, Pending
from geofence.index import ZoneIndex
from geofence.zones import Zone

# str.encode() refuses lone surrogates, in both paths alike
text = st.text(st.characters(exclude_categories=["Cs"]), max_size=30)

ZONES = [
    Zone("a", "Terminal A", ZoneType.TERMINAL, shapely.box(0, 0, 1, 1), dwell_limit_s=600),
    Zone("zöne-β", "Customs B", ZoneType.CUSTOMS, shapely.box(0.5, 0, 2, 1)),
    Zone("c", "Restricted C", ZoneType.RESTRICTED, shapely.box(3, 0, 4, 1)),
]
MAKER = EventMaker(ZoneIndex(ZONES))
fix = st.tuples(text, text, text, st.floats(0, 4e9), st.floats(-180, 180), st.floats(-90, 90))
pending = st.tuples(
    st.sampled_from(list(GeofenceKind)),
    fix,
    st.integers(0, len(ZONES) - 1),
    st.none() | st.floats(0, 1e6),
    st.none() | st.just(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)),
)


def test_the_native_text_ids_are_built_here():
    assert ids.NATIVE and hasattr(ids._native, "text_ids"), "make install (needs cc and libssl-dev)"


@settings(max_examples=200)
@given(st.lists(text, max_size=40))
def test_native_text_ids_equal_the_reference(texts):
    assert ids._native is not None
    assert ids._native.text_ids(texts) == ids.text_ids_py(texts) == ids.text_ids(texts)


def test_inputs_outside_the_native_path_fall_back_to_the_reference():
    class Sub(str):
        pass

    assert ids._native is not None
    for bad in (("a",), [Sub("a")], [b"a"]):
        with pytest.raises(ids._native.Unsupported):
            ids._native.text_ids(bad)  # type: ignore[arg-type]
    assert ids.text_ids([Sub("a")]) == ids.text_ids_py(["a"])


@settings(max_examples=200)
@given(st.lists(pending, max_size=30))
def test_a_batch_built_at_once_equals_one_event_at_a_time(items: list[Pending]):
    built = MAKER.build(items)
    assert built == [MAKER(kind, f, z, dwell, when) for kind, f, z, dwell, when in items]
    for event, (kind, f, z, _, _) in zip(built, items, strict=True):
        assert event.event_id == ids.geofence_event_id(kind.value, f[0], ZONES[z].zone_id, f[2])

"""Structure-aware mutants for the ingest fuzz tests: every one is malformed by construction.

Hypothesis draws a seed per example (``seeds``); a ``random.Random`` seeded with it builds a whole
stream of valid messages with mutants interleaved. Drawing a thousand structured messages one by
one through hypothesis would overrun its per-example buffer; a seed keeps examples reproducible
(hypothesis prints the failing seed) at a cost per message near the parser's own.

Every mutant carries the field its rejection must name ("" when the message is refused whole or
is not an object at all, where the record names it). A mutation that could by chance produce a
valid message is not used: each one below breaks a rule the parser enforces (a checksum, a type, a
range, a check digit, the 6-bit armour, fragment order...).
"""

from __future__ import annotations

import functools
import json
import math
import operator
import random
import string
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from cargotrail.contract import make_container_id

# Malformed messages per entry point: the acceptance asks for at least 100,000 across all of them.
QUOTA = {
    "json": 40_000,
    "nmea": 22_000,
    "ais": 16_000,
    "epcis": 12_000,
    "http": 6_000,
    "mqtt": 2_500,
    "kafka": 4_000,
    "nmea_stream": 2_000,
}
TOTAL_REQUIRED = 100_000

seeds = st.integers(min_value=0, max_value=2**63 - 1)


def run_seeds(quota: int, per_example: int, example: Callable[[int], int]) -> int:
    """Run ``example(seed)`` (it returns the malformed messages it checked) until ``quota`` are checked."""
    checked: dict[int, int] = {}  # per distinct seed: a repeated seed adds nothing

    @settings(
        max_examples=math.ceil(quota / per_example * 1.15),
        deadline=None,
        database=None,
        phases=(Phase.generate,),  # a seed does not shrink into anything more readable
        suppress_health_check=list(HealthCheck),
    )
    @given(seeds)
    def run(seed: int) -> None:
        checked[seed] = example(seed)

    run()
    total = sum(checked.values())
    assert total >= quota, f"only {total} malformed messages checked, {quota} wanted"
    print(f"fuzz: {total} malformed messages checked in {len(checked)} examples")  # shown with -s
    return total


def interleave(rng: random.Random, bad: int, good: int) -> set[int]:
    """The positions (0-based) of ``bad`` mutants among ``bad + good`` messages."""
    return set(rng.sample(range(bad + good), bad))


@dataclass(frozen=True)
class Mutant:
    payload: Any  # a JSON value, a line of text or bytes, depending on the entry point
    field: str  # what the rejection must name ("" for a message refused whole or not an object)


def garbage(rng: random.Random, size: int = 24) -> str:
    """Printable junk that starts with a letter (never blank, never a '$'/'!' sentence)."""
    alphabet = string.ascii_letters + string.digits + string.punctuation + " \t\u00e9\u4e2d\U0001f4e6"
    return rng.choice(string.ascii_letters) + "".join(
        rng.choice(alphabet) for _ in range(rng.randrange(size))
    )


# --- JSON readings (HTTP, MQTT, Kafka, `ingest --format json`) --------------------------------------

REQUIRED = ("device_id", "container_id", "seq", "ts", "lat", "lon")
FLOATS = ("lat", "lon", "speed_kmh", "heading", "hdop", "temperature_c", "humidity_pct", "shock_g")


def valid_reading(rng: random.Random, k: int, t0: datetime, device: str = "") -> dict[str, Any]:
    return {
        "type": "reading",
        "device_id": device or f"FZ-{k}",
        "container_id": make_container_id("FZU", rng.randrange(1_000_000)),
        "seq": k,
        "ts": (t0 + timedelta(seconds=k)).isoformat(),
        "lat": round(rng.uniform(-80, 80), 6),
        "lon": round(rng.uniform(-170, 170), 6),
        "temperature_c": round(rng.uniform(-20, 40), 2),
        "battery_pct": round(rng.uniform(0, 100), 1),
        "door_open": rng.random() < 0.5,
    }


def _wrong_type(rng: random.Random, name: str) -> object:
    if name in ("device_id", "container_id"):
        return rng.choice([rng.randrange(-9, 9**9), [garbage(rng)], {"id": 1}, True, 1.5])
    if name == "seq":
        return rng.choice([1.5, garbage(rng), [1], {"n": 1}, True])
    if name == "door_open":
        return rng.choice([1, "yes", [True], 0.0])
    if name == "ts":
        return rng.choice([rng.randrange(10**9, 2 * 10**9), garbage(rng), [2026], {"t": 1}, True])
    return rng.choice([garbage(rng), [1.0], {"v": 1.0}, True])


def _bad_container(rng: random.Random, good: str) -> str:
    if rng.random() < 0.5:  # a wrong check digit
        return good[:-1] + rng.choice([d for d in string.digits if d != good[-1]])
    return rng.choice(["", garbage(rng, 12), good[:-2], good + "0", "1234" + good[4:]])


def json_mutant(rng: random.Random, base: dict[str, Any], now: datetime, *, nan: bool = True) -> Mutant:
    """A mutant of the reading ``base``. ``nan=False``: no NaN/Infinity (strict JSON refuses them,
    so a batch holding one takes the decoder's lenient path; batches without one take the fast path).
    """
    d = dict(base)
    kind = rng.randrange(13 if nan else 12)  # 11: not an object at all; 12: NaN or infinity
    if kind == 0:
        name = rng.choice(REQUIRED)
        del d[name]
        return Mutant(d, name)
    if kind == 1:
        name = rng.choice([*REQUIRED, "door_open", *FLOATS])
        d[name] = _wrong_type(rng, name)
        return Mutant(d, name)
    if kind == 2:
        name = rng.choice(REQUIRED)
        d[name] = None
        return Mutant(d, name)
    if kind == 3:
        sign = rng.choice([-1, 1])
        d["lat"] = sign * (90 + rng.uniform(1e-6, 1e6))
        return Mutant(d, "lat")
    if kind == 4:
        d["lon"] = rng.choice([-1, 1]) * (180 + rng.uniform(1e-6, 1e6))
        return Mutant(d, "lon")
    if kind == 5:
        d["battery_pct"] = rng.choice([100 + rng.uniform(1e-3, 1e6), -rng.uniform(1e-3, 1e6)])
        return Mutant(d, "battery_pct")
    if kind == 6:
        d["seq"] = -rng.randrange(1, 2**62)
        return Mutant(d, "seq")
    if kind == 7:
        d["container_id"] = _bad_container(rng, d["container_id"])
        return Mutant(d, "container_id")
    if kind == 8:
        d["device_id"] = ""
        return Mutant(d, "device_id")
    if kind == 9:
        future = now + timedelta(seconds=rng.uniform(400, 1e8))
        d["ts"] = rng.choice([future.isoformat(), d["ts"].replace("+00:00", "")])
        return Mutant(d, "ts")
    if kind == 10:
        d["type"] = rng.choice(["rfid", "alert", "", 7, None])
        return Mutant(d, "type")
    if kind == 12:
        name = rng.choice(FLOATS)
        d[name] = rng.choice([math.nan, math.inf, -math.inf])
        return Mutant(d, name)
    return Mutant(rng.choice([rng.randrange(-99, 99), garbage(rng), [d], None, True, 2.5]), "")


def body_mutant(rng: random.Random) -> bytes:
    """A whole message that is not a JSON array of readings (refused whole)."""
    kind = rng.randrange(6)
    if kind == 0:  # random bytes behind one that starts no JSON value
        return b"\xff" + bytes(rng.randrange(256) for _ in range(rng.randrange(64)))
    if kind == 1:
        return b'[{"device_id": "x", "seq": ' + str(rng.randrange(99)).encode()  # truncated
    if kind == 2:
        return rng.choice([b"42", b'"text"', b"true", b"null", b"{,}", b"[1,,2]"])
    if kind == 3:
        return garbage(rng, 200).encode()
    if kind == 4:
        return b"[" * rng.randrange(1, 8) + b"{" + b"]" * rng.randrange(8)
    return b"\xef\xbb\xbf[" + garbage(rng).encode()


def dumps(value: object) -> str:
    return json.dumps(value, allow_nan=True)


# --- NMEA 0183 ---------------------------------------------------------------------------------------


def nmea_checksum(body: str) -> str:
    return f"{functools.reduce(operator.xor, body.encode(errors='replace'), 0):02X}"


def sentence(body: str) -> str:
    return f"${body}*{nmea_checksum(body)}"


def valid_gga(k: int, t0: datetime) -> str:
    t = t0 + timedelta(seconds=k)
    return sentence(f"GPGGA,{t:%H%M%S}.00,5101.{k % 1000:03d},N,00406.000,E,1,08,0.9,10.0,M,46.9,M,,")


def valid_rmc(k: int, t0: datetime) -> str:
    t = t0 + timedelta(seconds=k)
    return sentence(f"GPRMC,{t:%H%M%S},A,5101.{k % 1000:03d},N,00406.000,E,5.0,84.4,{t:%d%m%y},,")


def _break_checksum(rng: random.Random, line: str) -> str:
    """One digit of a data field changed, the checksum kept (the structure stays parseable)."""
    body, _, digits = line[1:].rpartition("*")
    first_data = body.index(",")
    i = rng.choice([j for j, c in enumerate(body) if c.isdigit() and j > first_data])
    swapped = body[:i] + rng.choice([d for d in string.digits if d != body[i]]) + body[i + 1 :]
    return f"{line[0]}{swapped}*{digits}"


def nmea_mutant(rng: random.Random, good: str) -> Mutant:
    kind = rng.randrange(10)
    body = good[1:].rpartition("*")[0]
    fields = body.split(",")
    if kind == 0:
        return Mutant(_break_checksum(rng, good), "checksum")
    if kind == 1:
        wrong = rng.choice([h for h in (f"{x:02X}" for x in range(256)) if h != good[-2:]])
        return Mutant(good[:-2] + wrong, "checksum")
    if kind == 2:
        return Mutant(good.rpartition("*")[0], "checksum")  # strict: no checksum at all
    if kind == 3:
        return Mutant(garbage(rng, 80), "")
    if kind == 4:
        kind_name = "".join(rng.choice("QXZJ") for _ in range(3))
        return Mutant(sentence(f"GP{kind_name}," + ",".join(fields[1:4])), "")
    if kind == 5 and fields[0] == "GPGGA":  # a coordinate or time that does not parse
        i = rng.choice([1, 2, 4])
        fields[i] = fields[i][:2] + rng.choice("xyz?#") + fields[i][3:]
        return Mutant(sentence(",".join(fields)), "")
    if kind == 6 and fields[0] == "GPGGA":
        fields[6] = rng.choice("xyzAB?")
        return Mutant(sentence(",".join(fields)), "gps_qual")
    if kind == 7:  # truncated, but with a valid checksum
        return Mutant(sentence(",".join(fields[: rng.randrange(1, 6)])), "")
    if kind == 8 and fields[0] == "GPRMC":  # a date or time that is no date
        fields[rng.choice([1, 9])] = rng.choice(["999999", "32 13 ", "ab12cd", "0000xx"])
        return Mutant(sentence(",".join(fields)), "")
    return Mutant(rng.choice(["#", "*", ">", "GP"]) + good[1:], "")  # no leading '$'


# --- AIS ---------------------------------------------------------------------------------------------


ARMOUR = "".join(map(chr, [*range(48, 88), *range(96, 120)]))


def ais_sentence(payload: str, *, frag: str = "1,1,,A", fill: str = "0") -> str:
    body = f"AIVDM,{frag},{payload},{fill}"
    return f"!{body}*{nmea_checksum(body)}"


def ais_mutant(rng: random.Random, good: str, static_parts: list[str]) -> Mutant:
    payload = good.split(",")[5]
    kind = rng.randrange(9)
    if kind == 0:  # one payload character changed, the checksum kept
        i = rng.randrange(len(payload))
        swapped = payload[:i] + rng.choice([c for c in ARMOUR if c != payload[i]]) + payload[i + 1 :]
        return Mutant(good.replace(payload, swapped, 1), "checksum")
    if kind == 1:
        wrong = rng.choice([h for h in (f"{x:02X}" for x in range(256)) if h != good[-2:]])
        return Mutant(good[:-2] + wrong, "checksum")
    if kind == 2:  # a byte outside the 6-bit armour, the checksum recomputed
        i = rng.randrange(len(payload))
        return Mutant(
            ais_sentence(payload[:i] + rng.choice("xyz{|}~XYZ[\\]^_") + payload[i + 1 :]), "payload"
        )
    if kind == 3:
        return Mutant(ais_sentence("w" + payload[1:]), "payload")  # message type 63: no such type
    if kind == 4:
        return Mutant(ais_sentence(payload, fill=rng.choice("6789")), "")
    if kind == 5:
        frag = rng.choice(["0,0,,A", "2,3,,A", f"{rng.randrange(10, 99)},1,,A"])
        return Mutant(ais_sentence(payload, frag=frag), "")
    if kind == 6:  # the second fragment of a message whose first never came (channel B only)
        second = static_parts[1].split(",")
        seq = rng.randrange(10)
        return Mutant(ais_sentence(second[5], frag=f"2,2,{seq},B", fill=second[6][0]), "frag_num")
    if kind == 7:  # a first fragment whose second never comes (channel A only)
        first = static_parts[0].split(",")
        seq = rng.randrange(10)
        return Mutant(ais_sentence(first[5], frag=f"2,1,{seq},A", fill=first[6][0]), "frag_cnt")
    return Mutant(rng.choice([garbage(rng, 90), sentence("GPGGA,1,2,3"), "!" + garbage(rng, 60)]), "")


# --- EPCIS 2.0 ---------------------------------------------------------------------------------------

BOX = make_container_id("EPC", 4242)


def valid_event(k: int, t0: datetime) -> dict[str, Any]:
    return {
        "type": "ObjectEvent",
        "action": "OBSERVE",
        "eventTime": (t0 + timedelta(seconds=k)).isoformat().replace("+00:00", "Z"),
        "eventTimeZoneOffset": "+00:00",
        "epcList": [f"urn:bic:{BOX}"],
        "readPoint": {"id": f"geo:51.9{k % 100:02d},4.1"},
        "sensorElementList": [{"sensorReport": [{"type": "Temperature", "value": k % 40, "uom": "CEL"}]}],
    }


def epcis_mutant(rng: random.Random, base: dict[str, Any]) -> Mutant:
    e = json.loads(json.dumps(base))
    kind = rng.randrange(6)
    if kind == 0:
        return Mutant(rng.choice([None, rng.randrange(99), garbage(rng), [e], True]), "")
    if kind == 1:
        del e["eventTime"]
        return Mutant(e, "eventTime")
    if kind == 2:
        e["eventTime"] = rng.choice([garbage(rng), rng.randrange(10**9), "2026-03-02T10:00:00", [], None])
        return Mutant(e, "eventTime")
    if kind == 3:  # a container reading with no position at all
        del e["readPoint"]
        return Mutant(e, "sensorElementList")
    if kind == 4:
        e["sensorElementList"].append(rng.choice([garbage(rng), 7, None, [1]]))
        return Mutant(e, "sensorElementList")
    e["sensorElementList"][0]["sensorMetadata"] = {"time": rng.choice([garbage(rng), 5, "2026-03-02"])}
    return Mutant(e, "sensorElementList")


def epcis_document_mutant(rng: random.Random) -> bytes:
    """A payload that is no EPCIS document at all (refused whole)."""
    return rng.choice(
        [
            body_mutant(rng),
            b'{"type": "EPCISDocument", "epcisBody": {"eventList": 5}}',
            b'{"@context": [], "epcisBody": ' + str(rng.randrange(99)).encode() + b"}",
        ]
    )

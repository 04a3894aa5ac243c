"""Dead letters: list them, and replay corrected ones through the ingest pipeline.

A dead letter's ``raw`` is the smallest payload its parser accepts again: an NMEA or AIS line
(all fragments of a multi-part AIS message), one EPCIS event, one JSON reading (of an HTTP batch
or a Kafka-direct record). A replay parses that raw text (or a corrected payload given by the
operator) with the parser its ``source`` names; only when nothing of it is rejected again is it
sent on, through the same sink as live ingest (the embedded runtime, or Kafka's telemetry topic:
``services.ingest.sink_choice``), and marked replayed once the sink has flushed it (for Kafka:
once the broker acknowledged it).

The repository interface has no "mark replayed" write yet, so replayed ids are kept under the
meta key ``ingest.dlq.replayed`` (a JSON list) until it does.
"""

from __future__ import annotations

from collections.abc import Callable

import msgspec

from cargotrail.errors import ConfigError
from cargotrail.settings import Settings
from cargotrail.wiring import open_store
from services.ingest.pipeline import FORMATS, IngestReport, ingest_payload
from services.ingest.sink_choice import open_sink
from store.base import DeadLetter

REPLAYED_KEY = "ingest.dlq.replayed"
# Dead letters whose raw payload one of the file parsers reads again, by source. A Kafka-direct
# record is one JSON reading, like an element of an HTTP batch (``json``).
REPLAY_FORMAT = {**{f: f for f in FORMATS}, "kafka": "json"}
SCAN_LIMIT = 100_000


def list_dead_letters(settings: Settings, *, limit: int = 200) -> tuple[list[DeadLetter], set[int]]:
    """The newest ``limit`` dead letters, and the ids of those already replayed."""
    store = open_store(settings)
    try:
        letters = store.dead_letters(limit)
        raw = store.get_meta(REPLAYED_KEY)
    finally:
        store.close()
    return letters, set(msgspec.json.decode(raw, type=list[int])) if raw else set()


def replay(
    settings: Settings,
    *,
    letter_id: int | None,
    payload: bytes | None = None,
    device: str | None = None,
    clock: Callable[[], float],
    kafka: str | None = None,
) -> list[tuple[DeadLetter, IngestReport]]:
    """Replay one dead letter (``letter_id``, optionally with a corrected ``payload``) or all pending ones.

    ``kafka``: the broker live ingest sends to (``ingest-server --kafka``); else the embedded runtime.
    """
    if payload is not None and letter_id is None:
        raise ConfigError("a corrected payload replaces one dead letter: pass --id too")
    letters, done = list_dead_letters(settings, limit=SCAN_LIMIT)
    if letter_id is not None:
        letters = [d for d in letters if d.id == letter_id]
        if not letters:
            raise ConfigError(f"no dead letter with id {letter_id}")
    else:
        letters = [d for d in reversed(letters) if d.id not in done and d.rejection.source in REPLAY_FORMAT]
    for letter in letters:
        if letter.rejection.source not in REPLAY_FORMAT:
            raise ConfigError(
                f"dead letter {letter.id} came from {letter.rejection.source!r}, which cannot be replayed"
            )
    outcomes = []
    sink = open_sink(settings, kafka=kafka, clock=clock)
    try:
        for letter in letters:
            fmt = REPLAY_FORMAT[letter.rejection.source]
            body = payload if payload is not None else letter.rejection.raw.encode()
            if fmt == "json" and payload is None:
                body = b"[" + body + b"]"  # a JSON dead letter is one element of its batch
            # An NMEA dead letter names its device in its record ("<device>#line<n>").
            dev = device or (letter.rejection.record.rsplit("#line", 1)[0] if fmt == "nmea" else None)
            report = ingest_payload(
                settings, fmt, body, device=dev, clock=clock, dead_letters=False, sink=sink
            )
            outcomes.append((letter, report))
    finally:
        sink.close()  # flushes: only what the sink holds for sure is marked replayed below
    done.update(letter.id for letter, report in outcomes if not report.rejections)
    store = open_store(settings)
    try:
        store.put_meta(REPLAYED_KEY, msgspec.json.encode(sorted(done)))
    finally:
        store.close()
    return outcomes

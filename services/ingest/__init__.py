"""The ingest gateway: integrator feeds (NMEA 0183, AIS, GS1 EPCIS 2.0, JSON batches) to contract records.

Parsers (``nmea``, ``ais``, ``epcis``, ``jsonbatch``) are pure: text or bytes in, a ``ParseResult``
out, no I/O. Every input message ends in exactly one of three places: a ``Reading`` (accepted), a
``Rejection`` (bad input, bound for the dead-letter table with its raw payload) or a ``Skipped``
note (valid input that is not container telemetry, explained). A parser never raises on bad
input and never drops the good messages beside a bad one.

``devices`` holds the device registry (keys, tracker-to-container bindings, read-point locations,
vessel manifests); ``auth`` verifies signed message envelopes against it.
"""

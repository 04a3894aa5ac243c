"""The ingest gateway: integrator feeds (HTTP, MQTT, Kafka direct, NMEA 0183, AIS, GS1 EPCIS 2.0) to readings.

Parsers (``nmea``, ``ais``, ``epcis``, ``jsonbatch``, ``kafka_raw``) are pure: text or bytes in, a
``ParseResult`` out, no I/O. Every input message ends in exactly one of three places: a ``Reading``
(accepted), a ``Rejection`` (bad input, bound for the dead-letter queue with its raw payload) or a
``Skipped`` note (valid input that is not container telemetry, explained). A parser never raises on
bad input and never drops the good messages beside a bad one.

``devices`` holds the device registry (keys, tracker-to-container bindings, read-point locations,
vessel manifests); ``auth`` verifies signed message envelopes against it.

Transports sit at the edge: ``http`` (batches), ``mqtt`` (subscriber, signed or not), ``nmea_stream``
(TCP/UDP listener) and ``kafka_direct`` (the integrators' raw topic). All but the last feed one
``gateway.IngestGateway`` per process, whose ``Sink`` (``sinks``) is the embedded runtime or Kafka
(``kafka_sink``); ``pipeline`` and ``dlq`` serve the file commands and dead-letter replays.
"""

"""MQTT ingest: a paho-mqtt subscriber on ``cargotrail/readings/<device>`` feeding the ingest gateway.

The broker authenticates the connection (username/password, see deploy/mosquitto); the topic names
the device, and a message may only carry that device's readings. A payload is one JSON reading
(an object) or a JSON array of readings, as in HTTP batches. Every rejected message or record goes
to the dead-letter table with its reason (source ``mqtt`` for a message refused whole).

Signed messages: a device that signs (``services.ingest.auth``) publishes the wrapper

    {"envelope": {...Envelope...}, "body": "<the signed JSON text: one reading or an array>"}

(a wrapper rather than MQTT 5 user properties, so that MQTT 3.1.1 devices can sign too). The
envelope is verified over the exact UTF-8 bytes of ``body``: a forged signature, a replayed
sequence number or nonce, a stale time, an unknown device or an envelope of another device than
the topic's is refused whole into the DLQ with the reason. With ``require_signature`` an unsigned
message is refused the same way.

Delivery: QoS 1 over MQTT 5, with manual acknowledgement. A message is acknowledged only once the
gateway's sink holds it for sure (valid readings on, rejected records in the DLQ: both are final):
taken messages are acknowledged in groups, after ``gateway.flush`` (for Kafka: the broker's own
acknowledgement), when half the in-flight window is taken or every ``ack_every_s``. When the
sink fails (``gateway.TRANSIENT``: the store or Kafka unreachable) the message is left unacknowledged,
and so is every later one until the subscriber has reconnected: Mosquitto redelivers unacknowledged
QoS 1 messages only when the same session reconnects (never while it stays connected), in order,
before the queued ones. So the subscriber disconnects, waits (exponential backoff between
``retry_min_s`` and ``retry_max_s``) and reconnects to its persistent session (``clean_start=False``
with a session expiry, stable client id). Redelivery is safe: readings are idempotent by id, and
the signature verifier forgets an envelope whose message failed. Dead letters are at least once: a
failed flush may follow a dead letter's write, and the message's redelivery writes it again.
``inflight`` is the MQTT 5 Receive Maximum: the broker sends no more than that many
unacknowledged messages, so a failing sink holds a bounded window while the broker queues the rest.

paho's network loop reconnects by itself after a network failure (``reconnect_delay``) and the
subscription is renewed on every connect. Connecting has a timeout, and ``start`` fails with the
broker's reason when it refuses the credentials.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

import msgspec
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from services.ingest.auth import Envelope
from services.ingest.gateway import TRANSIENT, BatchResult, IngestGateway

log = logging.getLogger(__name__)

TOPIC_PREFIX = "cargotrail/readings"


@dataclass(frozen=True)
class MqttConfig:
    host: str = "127.0.0.1"
    port: int = 1883
    username: str = ""
    password: str = ""
    client_id: str = "cargotrail-ingest"
    topic_prefix: str = TOPIC_PREFIX
    keepalive_s: int = 30
    connect_timeout_s: float = 10.0
    reconnect_min_s: int = 1
    reconnect_max_s: int = 30
    require_signature: bool = False
    inflight: int = 1000  # MQTT 5 Receive Maximum: unacknowledged messages the broker may send at once
    ack_every_s: float = 0.05  # flush the sink and acknowledge what it took at least this often
    session_expiry_s: int = 86_400  # how long the broker keeps the session (and queues) while away
    retry_min_s: float = 0.5  # backoff before reconnecting for redelivery after a sink failure
    retry_max_s: float = 30.0

    @classmethod
    def from_address(cls, address: str, **kwargs: Any) -> MqttConfig:
        """``host:port`` (as in CARGOTRAIL_TEST_MQTT) plus any other field."""
        host, _, port = address.rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"{address!r}: expected host:port")
        return cls(host=host, port=int(port), **kwargs)


class _Wrapper(msgspec.Struct):
    """Just enough to tell a signed wrapper from a bare reading (which has neither key)."""

    envelope: msgspec.Raw = msgspec.Raw(b"")  # empty: no such key
    body: msgspec.Raw = msgspec.Raw(b"")


_probe = msgspec.json.Decoder(_Wrapper)
_envelope = msgspec.json.Decoder(Envelope)
_body = msgspec.json.Decoder(str)


@dataclass(frozen=True, slots=True)
class _Taken:
    mid: int
    qos: int
    accepted: int
    rejected: int
    envelope: Envelope | None  # accepted by the verifier: released if the sink loses the message


class MqttIngest:
    """Subscribes to ``<prefix>/#`` and hands every message to the gateway, in paho's network thread.

    ``#`` rather than ``+``: a message on a malformed topic is dead-lettered, not silently ignored.
    A second thread (``_background``) acknowledges what the sink took, and reconnects after a sink
    failure so that the broker resends what was not.
    """

    def __init__(self, gateway: IngestGateway, config: MqttConfig) -> None:
        self.gateway = gateway
        self.config = config
        self.handled = 0  # messages handed to the gateway and acknowledged, accepted or not
        self.accepted = 0  # readings accepted
        self.rejected = 0  # records (or whole messages) dead-lettered
        self.deferred = 0  # messages left unacknowledged for redelivery (sink failed, or after one)
        self._ready = threading.Event()
        self._refused: str | None = None
        self._failing = False  # set by the network thread, cleared before reconnecting
        self._failures = 0  # consecutive sink failures: the backoff's exponent
        self._retry = threading.Event()
        self._stopping = threading.Event()
        self._connection = threading.Lock()  # the background thread's reconnect against stop()
        self._acks = threading.Lock()  # the taken list and the counters, between the two threads
        self._committing = threading.Lock()  # one flush-and-acknowledge at a time
        self._taken: list[_Taken] = []  # taken by the gateway, not acknowledged yet
        self._acker: threading.Thread | None = None
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=config.client_id,
            protocol=mqtt.MQTTv5,
            manual_ack=True,
        )
        if config.username:
            client.username_pw_set(config.username, config.password)
        client.connect_timeout = config.connect_timeout_s
        client.reconnect_delay_set(config.reconnect_min_s, config.reconnect_max_s)
        client.on_connect = self._on_connect
        client.on_subscribe = self._on_subscribe
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        self.client = client

    @property
    def topic(self) -> str:
        return f"{self.config.topic_prefix}/#"

    def start(self) -> None:
        """Connect and subscribe, or raise ``ConnectionError`` within ``connect_timeout_s`` (x2)."""
        c = self.config
        self._connect()
        self._acker = threading.Thread(target=self._background, name="mqtt-acks", daemon=True)
        self._acker.start()
        if not self._ready.wait(2 * c.connect_timeout_s) or self._refused:
            self.stop()
            why = self._refused or f"no subscription within {2 * c.connect_timeout_s:.0f} s"
            raise ConnectionError(f"MQTT broker {c.host}:{c.port}: {why}")

    def _connect(self) -> None:
        c = self.config
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]  # paho leaves it untyped
        props.SessionExpiryInterval = c.session_expiry_s
        props.ReceiveMaximum = c.inflight
        self.client.connect_async(
            c.host, c.port, keepalive=c.keepalive_s, clean_start=False, properties=props
        )
        self.client.loop_start()

    def stop(self) -> None:
        """Acknowledge what the sink took (flushing it), then disconnect; the rest comes back later."""
        self._stopping.set()
        self._retry.set()
        if self._acker is not None and self._acker is not threading.current_thread():
            self._acker.join()
        with self._connection:
            if not self._failing:
                self._commit()
            self.client.disconnect()
            self.client.loop_stop()

    def _background(self) -> None:
        """Acknowledge taken messages every ``ack_every_s``; after a sink failure, wait and reconnect."""
        c = self.config
        while not self._stopping.is_set():
            if not self._retry.wait(c.ack_every_s):
                self._commit()
                continue
            self._commit()  # what the sink took before the failure need not come back
            delay = min(c.retry_max_s, c.retry_min_s * 2 ** min(max(self._failures - 1, 0), 30))
            if self._stopping.wait(delay):
                return
            with self._connection:
                if self._stopping.is_set():
                    return
                self.client.disconnect()  # ends paho's loop thread: no message of this connection after it
                self.client.loop_stop()
                with self._acks:
                    self._taken.clear()  # ids of the old connection: the broker resends those messages
                self._retry.clear()
                self._failing = False
                log.info("MQTT: reconnecting for the redelivery of unacknowledged messages")
                self._connect()

    def _commit(self) -> None:
        """Flush the sink, then acknowledge what it took; on a failure, leave all of it for redelivery."""
        with self._committing:
            with self._acks:
                taken, self._taken = self._taken, []
            if not taken:
                return
            try:
                self.gateway.flush()
            except Exception as exc:  # never lost, nor fatal to the thread: redelivered (bugs included)
                if not isinstance(exc, TRANSIENT):
                    log.exception("MQTT: flushing the sink failed")
                for t in taken:  # they come back: not replays
                    if t.envelope is not None:
                        self.gateway.release(t.envelope)
                self._fail(len(taken), exc)
                return
            for t in taken:
                self.client.ack(t.mid, t.qos)
            with self._acks:
                if not self._failing:  # taken before a failure: the backoff keeps growing
                    self._failures = 0
                self.handled += len(taken)
                self.accepted += sum(t.accepted for t in taken)
                self.rejected += sum(t.rejected for t in taken)

    def _fail(self, messages: int, exc: Exception) -> None:
        with self._acks:
            self._failures += 1
            self._failing = True
            self.deferred += messages
        log.warning("MQTT: the sink failed (%s): %d message(s) left for redelivery", exc, messages)
        self._retry.set()

    def _on_connect(
        self, client: mqtt.Client, _: Any, __: Any, reason: ReasonCode, ___: Properties | None
    ) -> None:
        if reason.is_failure:
            self._refused = f"connection refused: {reason}"
            log.error("MQTT %s", self._refused)
            if reason.value in (4, 5, 134, 135):  # bad credentials / not authorised: retrying is useless
                self._ready.set()
            return
        self._refused = None
        client.subscribe(self.topic, qos=1)

    def _on_subscribe(self, _: mqtt.Client, __: Any, ___: int, codes: list[ReasonCode], ____: Any) -> None:
        if any(code.is_failure for code in codes):
            self._refused = f"subscription to {self.topic} refused: {codes}"
        self._ready.set()

    def _on_disconnect(self, _: mqtt.Client, __: Any, ___: Any, reason: ReasonCode, ____: Any) -> None:
        if reason.is_failure:
            log.warning("MQTT disconnected (%s): reconnecting", reason)

    def _on_message(self, client: mqtt.Client, __: Any, message: mqtt.MQTTMessage) -> None:
        if self._failing:  # keep the broker's order: nothing after a failed message is taken
            with self._acks:
                self.deferred += 1
            return
        try:
            result, envelope = self._ingest(message.topic, bytes(message.payload))
        except TRANSIENT as exc:
            self._fail(1, exc)
            return
        except Exception:  # a bug must not kill the network thread, nor come back forever: dropped
            log.exception("MQTT message on %s could not be ingested", message.topic)
            client.ack(message.mid, message.qos)
            return
        with self._acks:
            self._taken.append(_Taken(message.mid, message.qos, result.accepted, result.rejected, envelope))
            full = len(self._taken) >= max(1, self.config.inflight // 2)
        if full:  # the broker is about to stop sending: do not wait for the background thread
            self._commit()

    def handle(self, topic: str, payload: bytes) -> BatchResult:
        """Ingest one message: the device from the topic, one reading or an array of them."""
        return self._ingest(topic, payload)[0]

    def _ingest(self, topic: str, payload: bytes) -> tuple[BatchResult, Envelope | None]:
        """``handle``, and the envelope the verifier accepted (to release if the sink loses the message)."""
        prefix = self.config.topic_prefix + "/"
        device = topic[len(prefix) :] if topic.startswith(prefix) else ""
        if not device or "/" in device:
            reason = f"topic {topic!r} is not {prefix}<device>"
            return self.gateway.refuse("mqtt", "topic", reason, payload, status=400), None
        body = payload.strip()
        envelope: Envelope | None = None
        if body.startswith(b"{"):
            try:
                wrapper = _probe.decode(body)
            except msgspec.DecodeError:
                wrapper = _Wrapper()  # not JSON: the gateway dead-letters it with the parser's reason
            if wrapper.envelope:
                try:
                    envelope = _envelope.decode(wrapper.envelope)
                    body = _body.decode(wrapper.body or b"null").encode()  # missing: "not a str"
                except msgspec.DecodeError as exc:
                    field = "envelope" if envelope is None else "body"
                    reason = f"malformed signed message ({field}): {exc}"
                    return self.gateway.refuse("mqtt", field, reason, payload, status=401), None
        if envelope is None and self.config.require_signature:
            reason = "unsigned: this subscriber requires signed envelopes"
            return self.gateway.refuse("mqtt", "envelope", reason, payload, status=401), None
        result = self.gateway.submit(body, source="mqtt", device=device, envelope=envelope, allow_object=True)
        return result, envelope if result.status == 200 else None

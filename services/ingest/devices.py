"""The device registry: who may send, and what a message is about.

It holds, per integrator feed:

- ``keys``: each HMAC-SHA256 device's secret key, or ``public_keys``: each Ed25519 device's public
  key (a device signs one way or the other, see ``auth``);
- ``bindings``: tracker device id -> the container it is fixed to (NMEA units, EPCIS sensors);
- ``assets``: other identifiers of a container (a GS1 GRAI/GIAI EPC of the box) -> container id;
- ``read_points``: EPCIS read point / location id -> (lat, lon), for sensor reports without GPS;
- ``manifest``: vessel MMSI -> the containers on board (AIS positions become their readings).

It is plain data (no I/O): ``to_json``/``from_json`` give the bytes the CLI keeps in the data
directory (``devices.json``, mode 0600 because it holds keys).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field

import msgspec

from cargotrail.contract.iso6346 import is_valid_container_id
from cargotrail.errors import ConfigError

_SEPARATORS = re.compile(r"[:/.]")


class _Stored(msgspec.Struct, kw_only=True):
    keys: dict[str, str] = {}  # hex
    public_keys: dict[str, str] = {}  # hex, raw 32-byte Ed25519 keys
    bindings: dict[str, str] = {}
    assets: dict[str, str] = {}
    read_points: dict[str, tuple[float, float]] = {}
    manifest: dict[str, list[str]] = {}  # MMSI as a string: JSON object keys are strings


@dataclass
class DeviceRegistry:
    """Mutable registry; EPCIS AssociationEvents update ``bindings`` as they are parsed."""

    keys: dict[str, bytes] = field(default_factory=dict)
    public_keys: dict[str, bytes] = field(default_factory=dict)
    bindings: dict[str, str] = field(default_factory=dict)
    assets: dict[str, str] = field(default_factory=dict)
    read_points: dict[str, tuple[float, float]] = field(default_factory=dict)
    manifest: dict[int, list[str]] = field(default_factory=dict)

    def add_device(self, device_id: str, key: bytes | None = None) -> bytes:
        """Register ``device_id`` with ``key`` (a fresh 32-byte key if none); return the key."""
        if not device_id:
            raise ConfigError("a device id cannot be empty")
        key = key if key is not None else secrets.token_bytes(32)
        if len(key) < 16:
            raise ConfigError(f"the key of device {device_id} is {len(key)} bytes; at least 16 are needed")
        self.keys[device_id] = key
        self.public_keys.pop(device_id, None)  # one way of signing per device
        return key

    def add_ed25519_device(self, device_id: str, public_key: bytes) -> None:
        """Register ``device_id`` by its Ed25519 public key (raw 32 bytes); it keeps the private key."""
        if not device_id:
            raise ConfigError("a device id cannot be empty")
        if len(public_key) != 32:
            raise ConfigError(
                f"an Ed25519 public key is 32 bytes; the one of {device_id} is {len(public_key)}"
            )
        self.public_keys[device_id] = public_key
        self.keys.pop(device_id, None)

    def bind(self, device_id: str, container_id: str) -> None:
        if not is_valid_container_id(container_id):
            raise ConfigError(f"{container_id!r} is not a valid ISO 6346 container number")
        self.bindings[device_id] = container_id

    def unbind(self, device_id: str) -> None:
        self.bindings.pop(device_id, None)

    def container_of(self, identifier: str) -> str | None:
        """The container an identifier stands for: itself, a bound device, a known asset, or None.

        An identifier whose last segment (after ``:``, ``/`` or ``.``) is a valid ISO 6346 number
        names that container directly (``urn:bic:CSQU3054383``, ``https://.../CSQU3054383``).
        """
        if identifier in self.bindings:
            return self.bindings[identifier]
        if identifier in self.assets:
            return self.assets[identifier]
        last = _SEPARATORS.split(identifier)[-1].upper()
        return last if is_valid_container_id(last) else None

    def to_json(self) -> bytes:
        return msgspec.json.encode(
            _Stored(
                keys={d: k.hex() for d, k in self.keys.items()},
                public_keys={d: k.hex() for d, k in self.public_keys.items()},
                bindings=self.bindings,
                assets=self.assets,
                read_points=self.read_points,
                manifest={str(m): c for m, c in self.manifest.items()},
            )
        )

    @classmethod
    def from_json(cls, data: bytes) -> DeviceRegistry:
        try:
            s = msgspec.json.decode(data, type=_Stored)
            return cls(
                keys={d: bytes.fromhex(k) for d, k in s.keys.items()},
                public_keys={d: bytes.fromhex(k) for d, k in s.public_keys.items()},
                bindings=dict(s.bindings),
                assets=dict(s.assets),
                read_points=dict(s.read_points),
                manifest={int(m): list(c) for m, c in s.manifest.items()},
            )
        except (msgspec.DecodeError, ValueError) as exc:
            raise ConfigError(f"the device registry is unreadable: {exc}") from None

"""The local ledger: an append-only, hash-chained, Ed25519-signed log in a directory.

Layout of the directory::

    ledger.jsonl          one entry per line, never rewritten
    signing_key.pem       private key, mode 0600 (created on first run)
    signing_key.pub.pem   public key for auditors

Entry ``i`` is ``{"index", "prev_hash", "header", "hash", "sig"}`` where
``hash = SHA-256(RFC 8785 of {"index", "prev_hash", "header"})``,
``prev_hash`` is entry ``i-1``'s hash (64 zeros for entry 0) and ``sig`` is
the Ed25519 signature of the 32 ``hash`` bytes. Receipts carry
``tx_id = hash`` and ``block = index``.

Crash safety: an entry is acknowledged only after write + flush + fsync. A
torn last line (no newline: the process died mid-write, before
acknowledging) is cut off on open; damage anywhere else is tampering and
makes ``verify_log`` (run on open) raise ``VerificationError`` naming the
first bad entry. One writer process per directory.
"""

from __future__ import annotations

import builtins
import hashlib
import os
import threading
from pathlib import Path
from typing import Any

import msgspec
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm

from cargotrail.contract.records import AnchorReceipt, LedgerKind
from cargotrail.errors import LedgerError, VerificationError
from ledger import keys
from ledger.base import DEFAULT_LIST_LIMIT
from ledger.core.batch import GENESIS_ROOT, BatchHeader, batch_id
from ledger.core.canonical import canonical_json

LOG_NAME = "ledger.jsonl"
_ZERO_HASH = "0" * 64


class _Entry(msgspec.Struct, frozen=True):
    index: int
    prev_hash: str
    header: BatchHeader
    hash: str
    sig: str


def _entry_hash(index: int, prev_hash: str, header: BatchHeader) -> str:
    body = {"index": index, "prev_hash": prev_hash, "header": msgspec.to_builtins(header)}
    return hashlib.sha256(canonical_json(body)).hexdigest()


class LocalLedger:
    """The embedded ledger (see the module docstring for the file contract)."""

    kind = LedgerKind.LOCAL

    def __init__(self, directory: str | Path) -> None:
        self._dir = Path(directory)
        self._dir.mkdir(parents=True, exist_ok=True)
        self._key = keys.load_or_create(self._dir)
        self._public = self._key.public_key()
        self._path = self._dir / LOG_NAME
        self._lock = threading.Lock()
        self._entries: list[_Entry] = []
        self._by_id: dict[str, int] = {}
        self._by_stream: dict[str, list[int]] = {}
        self._cut_torn_tail()
        self.verify_log()

    @property
    def public_key_pem(self) -> bytes:
        return keys.public_pem(self._public)

    # -- reading ---------------------------------------------------------------

    def _cut_torn_tail(self) -> None:
        if not self._path.exists():
            return
        data = self._path.read_bytes()
        if not data or data.endswith(b"\n"):
            return
        cut = data.rfind(b"\n") + 1
        try:
            msgspec.json.decode(data[cut:], type=_Entry)
            complete = True  # only the newline is missing: keep the entry (verify_log checks it)
        except msgspec.DecodeError:
            complete = False  # died mid-append, never acknowledged: drop the fragment
        with self._path.open("r+b") as f:
            if complete:
                f.seek(0, os.SEEK_END)
                f.write(b"\n")
            else:
                f.truncate(cut)
            f.flush()
            os.fsync(f.fileno())

    def verify_log(self) -> None:
        """Re-read the whole log and check every link, hash and signature.

        Rebuilds the in-memory index. Raises ``VerificationError`` naming the
        first bad entry (line number, batch id) and what was expected/found.
        """
        entries: list[_Entry] = []
        by_id: dict[str, int] = {}
        by_stream: dict[str, list[int]] = {}
        lines = self._path.read_bytes().splitlines() if self._path.exists() else []
        for n, line in enumerate(lines):
            where = f"local ledger entry {n} (line {n + 1} of {self._path})"
            try:
                e = msgspec.json.decode(line, type=_Entry)
            except msgspec.DecodeError as exc:
                raise VerificationError(
                    f"{where}: unreadable", expected="a JSON entry", found=str(exc)
                ) from exc
            where += f" batch {e.header.batch_id}"
            prev = entries[-1].hash if entries else _ZERO_HASH
            if e.index != n:
                raise VerificationError(f"{where}: index", expected=str(n), found=str(e.index))
            if e.prev_hash != prev:
                raise VerificationError(f"{where}: prev_hash (chain link)", expected=prev, found=e.prev_hash)
            computed = _entry_hash(e.index, e.prev_hash, e.header)
            if computed != e.hash:
                raise VerificationError(
                    f"{where}: entry hash (content changed)", expected=computed, found=e.hash
                )
            try:
                self._public.verify(bytes.fromhex(e.sig), bytes.fromhex(e.hash))
            except (InvalidSignature, ValueError) as exc:
                raise VerificationError(
                    f"{where}: Ed25519 signature", expected="valid", found="invalid"
                ) from exc
            if e.header.batch_id in by_id:
                raise VerificationError(
                    f"{where}: batch id", expected="unique", found=f"also entry {by_id[e.header.batch_id]}"
                )
            problem = self._order_problem(
                e.header, [entries[i].header for i in by_stream.get(e.header.stream, [])[-1:]]
            )
            if problem:
                raise VerificationError(f"{where}: {problem[0]}", expected=problem[1], found=problem[2])
            entries.append(e)
            by_id[e.header.batch_id] = n
            by_stream.setdefault(e.header.stream, []).append(n)
        self._entries, self._by_id, self._by_stream = entries, by_id, by_stream

    @staticmethod
    def _order_problem(header: BatchHeader, last: builtins.list[BatchHeader]) -> tuple[str, str, str] | None:
        """Why ``header`` cannot follow ``last`` (its stream's tip, if any) — or None."""
        want_seq = last[0].seq + 1 if last else 0
        want_prev = last[0].root if last else GENESIS_ROOT
        if header.batch_id != batch_id(header.stream, header.seq):
            return "batch id", batch_id(header.stream, header.seq), header.batch_id
        if header.seq != want_seq:
            return f"seq in stream {header.stream!r}", str(want_seq), str(header.seq)
        if header.prev_root != want_prev:
            return f"prev_root in stream {header.stream!r}", want_prev, header.prev_root
        return None

    def _receipt(self, e: _Entry) -> AnchorReceipt:
        return e.header.receipt(ledger=LedgerKind.LOCAL, tx_id=e.hash, block=e.index)

    def get(self, batch_id: str) -> AnchorReceipt | None:
        i = self._by_id.get(batch_id)
        return None if i is None else self._receipt(self._entries[i])

    def tip(self, stream: str) -> BatchHeader | None:
        idx = self._by_stream.get(stream)
        return self._entries[idx[-1]].header if idx else None

    def list(
        self, stream: str, after_seq: int | None = None, limit: int = DEFAULT_LIST_LIMIT
    ) -> builtins.list[BatchHeader]:
        # Entries of a stream are stored in seq order 0, 1, 2, ... (anchor
        # enforces it), so the seq is the position in the stream's index.
        start = 0 if after_seq is None else after_seq + 1
        return [self._entries[i].header for i in self._by_stream.get(stream, [])[start : start + limit]]

    def signed_entry(self, batch_id: str) -> dict[str, Any] | None:
        """The signed log entry of ``batch_id`` as JSON data, or None if not anchored here.

        ``{"index", "prev_hash", "header", "hash", "sig"}`` exactly as in the log:
        with the public key, ``check_entry`` verifies it offline (proof bundles).
        """
        i = self._by_id.get(batch_id)
        if i is None:
            return None
        data: dict[str, Any] = msgspec.to_builtins(self._entries[i])
        return data

    def verify_entry(self, receipt: AnchorReceipt) -> None:
        i = self._by_id.get(receipt.batch_id)
        if i is None:
            raise VerificationError(
                f"batch {receipt.batch_id} on the local ledger", expected="anchored", found="absent"
            )
        e = self._entries[i]
        try:
            self._public.verify(
                bytes.fromhex(e.sig), bytes.fromhex(_entry_hash(e.index, e.prev_hash, e.header))
            )
        except (InvalidSignature, ValueError) as exc:
            raise VerificationError(
                f"signature of local ledger entry {i} (batch {receipt.batch_id})"
            ) from exc
        held = msgspec.to_builtins(self._receipt(e))
        shown = msgspec.to_builtins(receipt)
        for field in sorted(set(held) | set(shown)):
            if held.get(field) != shown.get(field):
                raise VerificationError(
                    f"{field} of batch {receipt.batch_id} (local ledger entry {i})",
                    expected=str(held.get(field)),
                    found=str(shown.get(field)),
                )

    # -- writing ---------------------------------------------------------------

    def anchor(self, header: BatchHeader) -> AnchorReceipt:
        with self._lock:
            existing = self._by_id.get(header.batch_id)
            if existing is not None:
                e = self._entries[existing]
                if e.header == header:
                    return self._receipt(e)
                raise LedgerError(
                    f"batch {header.batch_id} is already anchored with root {e.header.root}"
                    f" (size {e.header.size}); refusing root {header.root} (size {header.size})",
                    batch_id=header.batch_id,
                    tx_id=e.hash,
                )
            problem = self._order_problem(header, [] if (t := self.tip(header.stream)) is None else [t])
            if problem:
                what, expected, found = problem
                raise LedgerError(
                    f"refusing batch {header.batch_id}: {what} expected {expected}, found {found}",
                    batch_id=header.batch_id,
                )
            index = len(self._entries)
            prev = self._entries[-1].hash if self._entries else _ZERO_HASH
            h = _entry_hash(index, prev, header)
            e = _Entry(
                index=index, prev_hash=prev, header=header, hash=h, sig=self._key.sign(bytes.fromhex(h)).hex()
            )
            self._append_line(msgspec.json.encode(e) + b"\n", header.batch_id)
            self._entries.append(e)
            self._by_id[header.batch_id] = index
            self._by_stream.setdefault(header.stream, []).append(index)
            return self._receipt(e)

    def _append_line(self, line: bytes, bid: str) -> None:
        new = not self._path.exists()
        try:
            with self._path.open("ab") as f:
                f.write(line)
                f.flush()
                os.fsync(f.fileno())
            if new:  # make the new file's directory entry durable too
                fd = os.open(self._dir, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
        except OSError as exc:
            raise LedgerError(f"cannot append batch {bid} to {self._path}: {exc}", batch_id=bid) from exc


def check_entry(entry: object, public_key_pem: bytes) -> AnchorReceipt:
    """Check one signed entry (``LocalLedger.signed_entry`` data) offline, with only the public key.

    Contract: returns the receipt the entry anchors (``tx_id`` = hash, ``block``
    = index) when its hash is the SHA-256 of its content and its Ed25519
    signature verifies with ``public_key_pem``; otherwise raises
    ``VerificationError`` naming the entry and batch with expected/found. One
    entry cannot show its place in the chain: that needs the log (``verify_log``).
    """
    try:
        public = keys.load_public(public_key_pem)
    except (ValueError, TypeError, UnsupportedAlgorithm, LedgerError) as exc:
        raise VerificationError(
            "ledger public key", expected="an Ed25519 public key (PEM)", found=str(exc)[:120]
        ) from exc
    try:
        e = msgspec.convert(entry, _Entry)
    except msgspec.ValidationError as exc:
        raise VerificationError(
            "local ledger entry", expected="index, prev_hash, header, hash, sig", found=str(exc)
        ) from exc
    where = f"local ledger entry {e.index} (batch {e.header.batch_id})"
    computed = _entry_hash(e.index, e.prev_hash, e.header)
    if computed != e.hash:
        raise VerificationError(f"{where}: entry hash (content changed)", expected=computed, found=e.hash)
    try:
        public.verify(bytes.fromhex(e.sig), bytes.fromhex(e.hash))
    except (InvalidSignature, ValueError) as exc:
        raise VerificationError(
            f"{where}: Ed25519 signature", expected="valid for the given public key", found="invalid"
        ) from exc
    return e.header.receipt(ledger=LedgerKind.LOCAL, tx_id=e.hash, block=e.index)

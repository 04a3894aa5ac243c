"""Splitting a byte stream into lines under a length limit (pure; used by the NMEA stream listener).

``LineSplitter.feed`` takes whatever the socket gave and returns the complete lines in it (without
their ``\\r\\n``); a line longer than ``max_line`` bytes comes out as ``Overlong`` holding its first
``max_line`` bytes, and the rest of it is dropped as it arrives, so memory stays bounded by
``max_line`` whatever the sender does.
"""

from __future__ import annotations

from typing import NamedTuple


class Overlong(NamedTuple):
    head: bytes  # the first max_line bytes of the line


class LineSplitter:
    def __init__(self, max_line: int) -> None:
        self.max_line = max_line
        self._buf = bytearray()
        self._skipping: bytes | None = None  # head of the over-long line being dropped

    def feed(self, data: bytes) -> list[bytes | Overlong]:
        out: list[bytes | Overlong] = []
        self._buf += data
        while True:
            end = self._buf.find(b"\n")
            if end < 0:
                if self._skipping is None and len(self._buf) > self.max_line + 1:  # +1: a '\r' to come
                    self._skipping = bytes(self._buf[: self.max_line])
                if self._skipping is not None:
                    self._buf.clear()
                return out
            line = bytes(self._buf[:end]).rstrip(b"\r")
            del self._buf[: end + 1]
            if self._skipping is not None:
                out.append(Overlong(self._skipping))
                self._skipping = None
            elif len(line) > self.max_line:
                out.append(Overlong(line[: self.max_line]))
            else:
                out.append(line)

    def end(self) -> list[bytes | Overlong]:
        """The end of the stream: a last line without its newline, if any."""
        if self._skipping is not None or self._buf.strip():
            return self.feed(b"\n")
        self._buf.clear()
        return []

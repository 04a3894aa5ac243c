"""Server-sent events framing (the WHATWG ``text/event-stream`` format), pure.

A frame is ``field: value`` lines ended by a blank line; data spanning several lines becomes several
``data:`` lines (the client joins them with newlines). A comment line (``: ...``) is ignored by
clients and keeps proxies and idle timers from closing a quiet stream.
"""

from __future__ import annotations

MEDIA_TYPE = "text/event-stream"


def _clean(name: str, value: str) -> str:
    if "\n" in value or "\r" in value:
        raise ValueError(f"SSE {name} must be one line: {value[:40]!r}")
    return value


def frame(
    *, data: str | None = None, event: str | None = None, id: str | None = None, retry_ms: int | None = None
) -> bytes:
    """One event; ``id`` becomes the client's Last-Event-ID (also when there is no data)."""
    lines = []
    if retry_ms is not None:
        lines.append(f"retry: {int(retry_ms)}")
    if id is not None:
        lines.append(f"id: {_clean('id', id)}")
    if event is not None:
        lines.append(f"event: {_clean('event', event)}")
    if data is not None:
        lines += [f"data: {line}" for line in data.replace("\r\n", "\n").split("\n")]
    return ("\n".join(lines) + "\n\n").encode()


def comment(text: str) -> bytes:
    return f": {_clean('comment', text)}\n\n".encode()

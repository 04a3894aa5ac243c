"""The line splitter of the stream listeners: any chunking gives the same lines; long lines are cut."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from services.ingest.lines import LineSplitter, Overlong


def split(data: bytes, cuts: list[int], max_line: int = 10) -> list[bytes | Overlong]:
    s = LineSplitter(max_line)
    out: list[bytes | Overlong] = []
    start = 0
    for cut in sorted(c % (len(data) + 1) for c in cuts):
        out += s.feed(data[start:cut])
        start = max(start, cut)
    return out + s.feed(data[start:]) + s.end()


def test_lines_long_lines_and_a_last_line_without_newline():
    data = b"$A*00\r\n" + b"x" * 25 + b"\nshort\n\n" + b"y" * 11 + b"\r\nend"
    assert split(data, []) == [b"$A*00", Overlong(b"x" * 10), b"short", b"", Overlong(b"y" * 10), b"end"]


def test_a_line_of_exactly_max_line_bytes_with_crlf_is_kept():
    assert split(b"0123456789\r\n", [11]) == [b"0123456789"]


@given(st.lists(st.binary(max_size=30), max_size=12), st.lists(st.integers(min_value=0), max_size=8))
def test_any_chunking_gives_the_same_lines(lines, cuts):
    data = b"\n".join(line.replace(b"\n", b"") for line in lines)
    assert split(data, cuts) == split(data, [])

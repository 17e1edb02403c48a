"""Stream the records of a file with bounded memory: JSON Lines, JSON documents, CSV.

A JSON document is split by a small incremental scanner over the byte stream: it tracks strings
and brackets only, finds the array of records (top-level, or under `value`, `rows`, or the REST
spec examples' `responses.200.body.value`) and hands each element's bytes to the strict parser.
A document without such an array is one record. Nothing but the current record is buffered, and
nesting inside a record is counted, never recursed into (SECURITY.md case 21).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from typing import BinaryIO

import orjson

from tui.ingest.errors import FormatError
from tui.ingest.records import MAX_DEPTH, MAX_RECORD_BYTES, RawRecord

CHUNK = 1 << 20
RECORD_ARRAYS = {(), ("value",), ("rows",), ("responses", "200", "body", "value")}
_STRUCTURE = re.compile(rb'[\[\]{}"]')
_OUTSIDE_RECORD = re.compile(rb'[\[\]{}",:]')
_QUOTE = re.compile(rb'"')
_NON_SPACE = re.compile(rb"[^ \t\r\n]")
_ELEMENT_END = re.compile(rb"[,\]]")
_SPACE = b" \t\r\n"
_BOM = b"\xef\xbb\xbf"
# The first key of a list response (REST, Graph, Log Analytics, spec example) on one line.
# `@odata.type` is excluded: it is the first key of a Graph alert itself (JSON Lines exports).
_ENVELOPE = re.compile(
    rb'\{\s*"(?:value|rows|responses|parameters|_note|nextLink|@odata\.(?!type")[a-zA-Z]+)"\s*:'
)


def sniff(head: bytes) -> str:
    """'jsonl', 'json' or 'csv' from the first bytes of a file."""
    text = head.removeprefix(_BOM).lstrip(_SPACE)
    first_line = text.split(b"\n", 1)[0]
    if text[:1] == b"[" or _ENVELOPE.match(text):
        return "json"
    if text[:1] == b"{":
        try:
            orjson.loads(first_line)
            return "jsonl"
        except orjson.JSONDecodeError:
            # A pretty-printed document, or one record line longer than the head.
            return "json" if first_line.rstrip() != text.rstrip() else "jsonl"
    if b"," in first_line and not first_line.lstrip().startswith((b'"{', b"'")):
        return "csv"
    raise FormatError("not JSON, JSON Lines or CSV")


def jsonl_records(stream: BinaryIO) -> Iterator[RawRecord]:
    """One record per non-blank line; a line over the size limit is skipped, not buffered."""
    offset = 0
    number = 0
    while True:
        line = stream.readline(MAX_RECORD_BYTES + 1)
        if not line:
            return
        number += 1
        start = offset
        offset += len(line)
        if len(line) > MAX_RECORD_BYTES and not line.endswith(b"\n"):
            offset += _skip_line(stream)
            reason = f"line longer than {MAX_RECORD_BYTES:,} bytes"
            yield RawRecord(number, start, line[:4096], reason)
            continue
        if number == 1:
            line = line.removeprefix(_BOM)
        line = line.strip(_SPACE)
        if line:
            yield RawRecord(number, start, line)


def _skip_line(stream: BinaryIO) -> int:
    skipped = 0
    while True:
        part = stream.readline(CHUNK)
        skipped += len(part)
        if not part or part.endswith(b"\n"):
            return skipped


def csv_records(stream: BinaryIO) -> Iterator[RawRecord]:
    """CSV rows as JSON objects keyed by the header (Log Analytics exports).

    The portal names time columns `StartTime [UTC]`; the suffix is dropped from the key."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="strict", newline="")
    reader = csv.DictReader(text)
    if reader.fieldnames:
        reader.fieldnames = [name.removesuffix(" [UTC]") for name in reader.fieldnames]
    number = 1
    try:
        for row in reader:
            number = reader.line_num
            if None in row:
                yield RawRecord(number, -1, b"", "more fields than the header names")
                continue
            yield RawRecord(number, -1, orjson.dumps(row))
    except UnicodeDecodeError:
        yield RawRecord(number + 1, -1, b"", "invalid UTF-8 (the rest of the file is unreadable)")
    except csv.Error as exc:
        yield RawRecord(number + 1, -1, b"", f"invalid CSV: {exc}")
    finally:
        text.detach()  # the caller owns and closes the byte stream


class DocumentSplitter:
    """Incremental splitter of one JSON document into the elements of its record array.

    Positions are absolute file offsets; `keep` is the first byte still needed, so the buffer
    holds at most the current record (or the document head until its record array starts).
    """

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.buf = b""
        self.base = 0  # file offset of buf[0]
        self.keep = 0
        self.dropped = False  # bytes of the current record were discarded (too large)

    def _fill(self) -> bool:
        chunk = self.stream.read(CHUNK)
        if not chunk:
            return False
        if self.base + len(self.buf) - self.keep > MAX_RECORD_BYTES:
            self.keep = self.base + len(self.buf)
            self.dropped = True
        self.buf = self.buf[self.keep - self.base :] + chunk
        self.base = self.keep
        return True

    def _search(self, pattern: re.Pattern[bytes], pos: int) -> tuple[int, bytes]:
        """Absolute position and byte of the next match at or after `pos`; (-1, b"") at EOF."""
        while True:
            match = pattern.search(self.buf, max(pos - self.base, 0))
            if match is not None:
                return self.base + match.start(), match.group()
            pos = max(pos, self.base + len(self.buf))
            if not self._fill():
                return -1, b""

    def _slice(self, start: int, end: int) -> bytes:
        return self.buf[start - self.base : end - self.base]

    def _string_end(self, pos: int) -> int:
        """Position just after the string whose opening quote is at `pos`; -1 at EOF."""
        search = pos + 1
        while True:
            quote, _ = self._search(_QUOTE, search)
            if quote < 0:
                return -1
            index = quote - self.base
            backslashes = 0
            while index - 1 - backslashes >= 0 and self.buf[index - 1 - backslashes] == 0x5C:
                backslashes += 1
            if backslashes % 2 == 0:
                return quote + 1
            search = quote + 1

    def records(self) -> Iterator[RawRecord]:
        start, char = self._search(_NON_SPACE, 0)
        if char == b"\xef" and self._slice(start, start + 3) == _BOM:
            start, char = self._search(_NON_SPACE, start + 3)
        if start < 0:
            return
        self.keep = start
        if char == b"[":
            yield from self._array(start + 1)
        else:
            yield from self._object(start)

    def _object(self, start: int) -> Iterator[RawRecord]:
        """A top-level object: the records of a known array inside it, or itself."""
        keys: list[str | None] = []  # the current key of each open container (None: array)
        string = ""
        pos = start
        while True:
            at, char = self._search(_OUTSIDE_RECORD, pos)
            if at < 0 or self.dropped:
                reason = "truncated JSON" if at < 0 else "no array of alerts in the first 8 MiB"
                yield RawRecord(1, start, self._slice(start, start + 4096), reason)
                return
            pos = at + 1
            if char == b'"':
                pos = self._string_end(at)
                if pos < 0:
                    yield RawRecord(1, start, self._slice(start, start + 4096), "truncated JSON")
                    return
                string = self._slice(at + 1, pos - 1).decode("utf-8", "replace")
            elif char == b":":
                keys[-1] = string
            elif char == b",":
                keys[-1] = None
            elif char == b"[" and keys and tuple(keys) in RECORD_ARRAYS:
                self.keep = pos
                yield from self._array(pos)
                return
            elif char in b"{[":
                keys.append(None)
            else:
                keys.pop()
                if not keys:
                    yield RawRecord(1, start, self._slice(start, pos))
                    return

    def _array(self, pos: int) -> Iterator[RawRecord]:
        """The elements of the array whose '[' ends just before `pos`."""
        number = 0
        while True:
            at, char = self._search(_NON_SPACE, pos)
            if at < 0 or char == b"]":
                return
            if char == b",":
                pos = at + 1
                continue
            number += 1
            self.keep, self.dropped = at, False
            record, pos = self._element(at, char)
            record.number = number
            yield record
            if pos < 0:
                return

    def _element(self, start: int, first: bytes) -> tuple[RawRecord, int]:
        """One array element starting at `start`: the record and the position after it (-1 when
        the file ends inside it)."""
        if first not in (b"{", b"["):  # a scalar: not an alert, but skip it exactly
            after = self._string_end(start) if first == b'"' else start
            end, _ = self._search(_ELEMENT_END, max(after, start))
            end = end if end >= 0 else self.base + len(self.buf)
            return RawRecord(0, start, self._slice(start, end).strip(_SPACE)), end
        level = deepest = 0
        pos = start
        while True:
            at, char = self._search(_STRUCTURE, pos)
            if at < 0:
                return RawRecord(0, start, self._slice(start, start + 4096), "truncated JSON"), -1
            pos = at + 1
            if char == b'"':
                pos = self._string_end(at)
                if pos < 0:
                    data = self._slice(start, start + 4096)
                    return RawRecord(0, start, data, "truncated JSON"), -1
            elif char in b"{[":
                level += 1
                deepest = max(deepest, level)
            else:
                level -= 1
                if level == 0:
                    break
        if deepest > MAX_DEPTH:
            return RawRecord(0, start, b"", f"nesting deeper than {MAX_DEPTH}"), pos
        if self.dropped:
            return RawRecord(0, start, b"", f"record larger than {MAX_RECORD_BYTES:,} bytes"), pos
        return RawRecord(0, start, self._slice(start, pos)), pos

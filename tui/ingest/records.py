"""Strict parsing of one record's bytes into a JSON object, with a reason for every refusal.

orjson already refuses NaN/Infinity, invalid UTF-8, lone surrogates and numbers that overflow a
double (a 5000-digit integer); this module adds what it accepts silently: duplicate keys (last
one wins, so an attacker could hide a value from a reviewer of the raw record), nesting deeper
than MAX_DEPTH, and records of absurd size (SECURITY.md cases 15, 21-23).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import orjson

from tui.ingest.errors import RecordError

MAX_DEPTH = 32
MAX_RECORD_BYTES = 8 * 1024 * 1024  # a 1 MB command line still fits (SECURITY.md case 14)


@dataclass(slots=True)
class RawRecord:
    """One record as read from a file: its number (line or array element), byte offset,
    bytes, and the reason the reader already refused it, if it did."""

    number: int
    offset: int
    data: bytes
    error: str = ""


_ERRORS = (
    ("depth limit", f"nesting deeper than {MAX_DEPTH}"),
    ("infinity", "number out of range (more digits than a double can hold)"),
    ("utf-8", "invalid UTF-8"),
    ("surrogate", "lone UTF-16 surrogate escape in a string"),
    ("after document", "more than one JSON value in one record"),
)


def parse(data: bytes) -> tuple[dict, str]:
    """The record as a dict and as text; RecordError with the reason otherwise."""
    if len(data) > MAX_RECORD_BYTES:
        raise RecordError(f"record is {len(data):,} bytes (limit {MAX_RECORD_BYTES:,})")
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise RecordError(_reason(exc, data)) from None
    if not isinstance(value, dict):
        kind = {list: "an array", str: "a string"}.get(type(value), "a scalar")
        raise RecordError(f"record is {kind}, expected a JSON object")
    if data.count(b"[") + data.count(b"{") > MAX_DEPTH and too_deep(value):
        raise RecordError(f"nesting deeper than {MAX_DEPTH}")
    _refuse_duplicate_keys(data, value)
    return value, data.decode("utf-8")


def _reason(exc: orjson.JSONDecodeError, data: bytes) -> str:
    message = exc.msg.lower()
    for needle, reason in _ERRORS:
        if needle in message:
            return reason
    if b"NaN" in data or b"Infinity" in data:
        return "NaN or Infinity is not valid JSON"
    if exc.pos >= len(data.rstrip()) - 1 or "eof" in message or "end of" in message:
        return "truncated JSON"
    return f"invalid JSON: {exc.msg} at character {exc.pos}"


def too_deep(node: dict | list, budget: int = MAX_DEPTH) -> bool:
    """True when containers nest deeper than `budget` (an empty object is depth 1).

    Recursion stops at the budget, so it is at most MAX_DEPTH frames deep."""
    if budget == 0:
        return True
    for child in node.values() if type(node) is dict else node:
        if type(child) in _CONTAINERS and too_deep(child, budget - 1):
            return True
    return False


_CONTAINERS = (dict, list)


def _refuse_duplicate_keys(data: bytes, value: dict) -> None:
    """Raise if a key repeats in any object of the record.

    Fast path: re-serializing keeps every string except a dropped duplicate key (and its
    value), and an input `\\"` escape comes out as `\\"` again, so the number of quote
    characters only shrinks when a key was dropped. A `\\u0022` escape breaks that count, so
    such records, and suspects, take the exact path. Faster still, and the common case for
    compact JSON: a record that re-serializes to exactly its own bytes lost no key.
    """
    dumped = orjson.dumps(value)
    if dumped == data:
        return
    if b"\\u0022" not in data and dumped.count(b'"') == data.count(b'"'):
        return
    json.loads(data, object_pairs_hook=_unique_keys)


def _unique_keys(pairs: list[tuple[str, object]]) -> dict:
    seen: dict[str, object] = {}
    for key, item in pairs:
        if key in seen:
            raise RecordError(f"duplicate key {key[:64]!r}")
        seen[key] = item
    return seen

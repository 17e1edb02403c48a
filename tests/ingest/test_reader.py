"""The streaming readers: record boundaries, chunk edges, bounded buffers, layouts."""

from __future__ import annotations

import io
import json

import pytest

from tui.ingest import reader
from tui.ingest.errors import FormatError
from tui.ingest.reader import DocumentSplitter, jsonl_records, sniff

TRICKY = [
    {"a": "]}[{,", "b": ['"', "\\", '\\"]'], "c": {"d": [1, 2, {"e": "}"}]}},
    {"x": "caf\u00e9 \u2603 \U0001f600", "y": None, "z": [True, False, 1.5e3]},
    {"empty": {}, "list": [], "s": ""},
]


def _split(data: bytes) -> list:
    return list(DocumentSplitter(io.BytesIO(data)).records())


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 64, 1 << 20])
@pytest.mark.parametrize(
    "document",
    [
        TRICKY,
        {"_note": 'head [ { "value": [', "value": TRICKY, "nextLink": None},
        {"parameters": {"value": 1}, "responses": {"200": {"body": {"value": TRICKY}}}},
        {"rows": TRICKY},
    ],
)
def test_elements_survive_any_chunk_boundary(monkeypatch, chunk: int, document: object) -> None:
    monkeypatch.setattr(reader, "CHUNK", chunk)
    data = json.dumps(document, indent=2, ensure_ascii=False).encode()
    records = _split(data)
    assert [json.loads(r.data) for r in records] == TRICKY
    assert [r.number for r in records] == [1, 2, 3]
    assert all(data[r.offset : r.offset + len(r.data)] == r.data for r in records)


def test_scalar_elements_are_records_of_their_own() -> None:
    records = _split(b'["a, ]b", 12, {"c": 1}]')
    assert [r.data for r in records] == [b'"a, ]b"', b"12", b'{"c": 1}']


def test_a_single_object_is_one_record() -> None:
    [record] = _split(b'  {"id": "x", "value": 3, "rows": "no"}  ')
    assert json.loads(record.data) == {"id": "x", "value": 3, "rows": "no"}


def test_the_buffer_holds_one_record_not_the_file(monkeypatch) -> None:
    monkeypatch.setattr(reader, "CHUNK", 4096)
    element = {"payload": "x" * 2000}
    data = json.dumps({"value": [element] * 2000}).encode()  # 4 MB
    splitter = DocumentSplitter(io.BytesIO(data))
    largest = 0
    for record in splitter.records():
        largest = max(largest, len(splitter.buf))
        assert json.loads(record.data) == element
    assert largest < 3 * 4096


def test_deep_nesting_and_truncation_inside_an_array() -> None:
    records = _split(b'[{"a": 1}, ' + b"[" * 100 + b"]" * 100 + b', {"b": 2}, {"c": ')
    assert [r.error for r in records] == ["", "nesting deeper than 32", "", "truncated JSON"]
    assert json.loads(records[2].data) == {"b": 2}


def test_jsonl_lines_offsets_and_blank_lines() -> None:
    data = b'\xef\xbb\xbf{"a": 1}\n\n  {"b": 2}  \r\n{"c": 3}'
    records = list(jsonl_records(io.BytesIO(data)))
    assert [(r.number, r.offset, r.data) for r in records] == [
        (1, 0, b'{"a": 1}'),
        (3, 13, b'{"b": 2}'),
        (4, 27, b'{"c": 3}'),
    ]


def test_an_overlong_jsonl_line_is_refused_without_buffering_it(monkeypatch) -> None:
    monkeypatch.setattr(reader, "MAX_RECORD_BYTES", 100)
    data = b'{"a": "' + b"x" * 10_000 + b'"}\n{"b": 2}\n'
    records = list(jsonl_records(io.BytesIO(data)))
    assert records[0].error == "line longer than 100 bytes"
    assert (records[1].number, records[1].data) == (2, b'{"b": 2}')


@pytest.mark.parametrize(
    ("head", "layout"),
    [
        (b'[\n  {"a": 1}', "json"),
        (b'{\n  "value": [', "json"),
        (b'{"a": 1}\n{"b": 2}\n', "jsonl"),
        (b'{"value": [{"a": 1}, {"b": 2}]}', "json"),  # a minified list response
        (b'{"@odata.context": "x", "value": [', "json"),
        (b'{"@odata.type": "#microsoft.graph.security.alert", "id": "a"}\n{"@odata.type"', "jsonl"),
        (b'{"a": 1', "jsonl"),  # one broken line: quarantined, not refused
        (b"TimeGenerated,SystemAlertId,AlertName\n", "csv"),
    ],
)
def test_sniff(head: bytes, layout: str) -> None:
    assert sniff(head) == layout


def test_sniff_refuses_other_files() -> None:
    with pytest.raises(FormatError, match="not JSON, JSON Lines or CSV"):
        sniff(b"\x7fELF\x02\x01\x01")

"""Malformed entity references in a Defender record are ignored, never a crash of the import."""

from __future__ import annotations

import json

from tests.ingest.test_bad_input import defender_record
from tui.ingest import defender


def _entity_keys(entities: list) -> set[tuple[str, str | None]]:
    record = defender_record(1, entities=entities)
    alert = defender.normalize(record, json.dumps(record))
    return {(e.type.value, e.key) for e in alert.entities}


def test_a_reference_to_a_list_or_object_resolves_to_nothing() -> None:
    keys = _entity_keys(
        [
            {"$id": "1", "hostName": "web01", "type": "host"},
            {"commandLine": "a.exe", "host": {"$ref": ["1"]}, "type": "process"},
            {"commandLine": "b.exe", "host": {"$ref": {"id": "1"}}, "type": "process"},
        ]
    )
    # like a dangling string reference: the process names no host
    assert keys == {("host", "web01"), ("process", "|a.exe"), ("process", "|b.exe")}


def test_file_hashes_that_are_not_a_list_are_ignored() -> None:
    keys = _entity_keys([{"name": "x.dll", "directory": "c:\\w", "fileHashes": 5, "type": "file"}])
    assert keys == {("file", "c:\\w\\x.dll")}

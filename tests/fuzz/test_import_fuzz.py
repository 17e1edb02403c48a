"""Fuzzing the importer with mutated real records of every format: each record is stored or
quarantined with a reason, nothing crashes, and the database invariants hold afterwards."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz.strategies import SAMPLES, encode, mutated_record, with_id
from tests.hostile.invariants import assert_consistent
from tui.ingest import detect
from tui.ingest.errors import RecordError
from tui.ingest.pipeline import import_paths
from tui.store import Store
from tui.store.alerts import prepare
from tui.store.quarantine import entries

FUZZ = settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _expected_links(fmt: str, line: bytes) -> int | None:
    """How many entity links the record should get, or None when it must be refused."""
    try:
        value = orjson.loads(line)
        return len(prepare(detect.adapter(fmt).normalize(value, line.decode())).entities)
    except (orjson.JSONDecodeError, RecordError):
        return None


def _check(fmt: str, lines: list[bytes]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "alerts.jsonl"
        path.write_bytes(b"\n".join(lines) + b"\n")
        store = Store(Path(folder) / "fuzz.db")
        try:
            summary = import_paths(store, [path], fmt=fmt)
            assert summary.refused == {}
            assert summary.new + summary.rejected == len(lines)
            quarantined = entries(store.conn)
            assert len(quarantined) == summary.rejected
            assert all(entry.reason for entry in quarantined)
            conn = store.conn
            assert conn.execute("SELECT count(*) FROM alerts").fetchone()[0] == summary.new
            assert_consistent(conn)
            links = dict(
                conn.execute(
                    "SELECT a.raw, count(ae.entity_id) FROM alerts a"
                    " LEFT JOIN alert_entities ae ON ae.alert_id = a.id GROUP BY a.id"
                ).fetchall()
            )
            for raw, count in links.items():
                assert count == _expected_links(fmt, raw.encode()), raw[:200]
            again = import_paths(store, [path], fmt=fmt)
            assert (again.new, again.updated) == (0, 0)
            assert len(entries(store.conn)) == summary.rejected
        finally:
            store.close()


def _records(fmt: str) -> st.SearchStrategy[list[bytes]]:
    one = mutated_record(fmt)
    return st.lists(one, min_size=1, max_size=4).map(
        lambda records: [
            encode(with_id(fmt, record, f"fuzz-{fmt}-{n}")) for n, record in enumerate(records)
        ]
    )


@pytest.mark.slow
@FUZZ
@given(_records("defender"))
def test_defender(lines: list[bytes]) -> None:
    _check("defender", lines)


@pytest.mark.slow
@FUZZ
@given(_records("sentinel"))
def test_sentinel(lines: list[bytes]) -> None:
    _check("sentinel", lines)


@pytest.mark.slow
@FUZZ
@given(_records("graph"))
def test_graph(lines: list[bytes]) -> None:
    _check("graph", lines)


@pytest.mark.slow
@FUZZ
@given(_records("ocsf"))
def test_ocsf(lines: list[bytes]) -> None:
    _check("ocsf", lines)


def test_ocsf_enum_ids_of_another_type_do_not_crash_the_import() -> None:
    """Found by fuzzing: a list as status_id or observable type_id raised TypeError."""
    record = json.loads(encode(SAMPLES["ocsf"][0]))
    record["status_id"] = []
    record["observables"] = [{"type_id": {}, "value": "x"}]
    _check("ocsf", [encode(record)])

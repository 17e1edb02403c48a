"""Hostile and broken input (SECURITY.md cases 15, 21-26): quarantined with a reason, the rest
imported; --strict; idempotent re-import that keeps analyst triage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tui.ingest import defender
from tui.ingest.pipeline import import_paths
from tui.store import Store, transaction
from tui.store.quarantine import entries
from tui.store.triage import get_triage, update_triage

DATA = Path(__file__).parent / "data"

SUB = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg"


def alert_id(n: int) -> str:
    return f"{SUB}/providers/Microsoft.Security/locations/westeurope/alerts/25170_{n:08d}"


def defender_record(n: int, **props: object) -> dict:
    """A small valid Defender ARM alert; `props` override its properties."""
    properties = {
        "alertType": "VM_SuspiciousProcess",
        "alertDisplayName": f"Suspicious process {n}",
        "severity": "High",
        "status": "Active",
        "intent": "Execution",
        "startTimeUtc": "2024-06-20T08:51:02.1234567Z",
        "endTimeUtc": "2024-06-20T08:52:02Z",
        "entities": [
            {"$id": "1", "hostName": "web01", "type": "host"},
            {"$id": "2", "commandLine": "nightly.exe", "host": {"$ref": "1"}, "type": "process"},
        ],
    } | props
    return {
        "id": alert_id(n),
        "type": "Microsoft.Security/Locations/alerts",
        "properties": properties,
    }


def line(record: dict) -> bytes:
    return json.dumps(record).encode()


def write_lines(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def good_and(bad: bytes) -> list[bytes]:
    """Line 1 good, line 2 the bad one, line 3 good."""
    return [line(defender_record(1)), bad, line(defender_record(3))]


def _with(n: int, raw_props: str) -> bytes:
    """A record whose properties text is spliced in verbatim (for invalid JSON)."""
    return f'{{"id": "{alert_id(n)}", "type": "x/alerts", "properties": {raw_props}}}'.encode()


CASES = [
    # (15) a lone surrogate escape
    (_with(2, '{"alertDisplayName": "\\ud800"}'), "lone UTF-16 surrogate escape in a string"),
    # (21) 50 000 nested arrays on one line
    (b"[" * 50_000, "nesting deeper than 32"),
    # (22) invalid UTF-8, truncated JSON, a top-level string, two objects on one line
    (b'{"id": "\xff\xfe"}', "invalid UTF-8"),
    (line(defender_record(2))[:-20], "truncated JSON"),
    (b'"just a string"', "record is a string, expected a JSON object"),
    (b'{"a": 1} {"b": 2}', "more than one JSON value in one record"),
    # (23) duplicate key, NaN, a 5000-digit integer
    (_with(2, '{"severity": "Low", "severity": "High"}'), "duplicate key 'severity'"),
    (_with(2, '{"confidence": NaN}'), "NaN or Infinity is not valid JSON"),
    (_with(2, '{"count": ' + "9" * 5000 + "}"), "number out of range"),
    # (24) field-specific reasons
    (line({"type": "x/alerts", "properties": defender_record(2)["properties"]}), "missing id"),
    (line(defender_record(2) | {"id": 42}), "id must be a string, got number"),
    (line(defender_record(2, startTimeUtc="yesterday")),
     "startTimeUtc 'yesterday' is not an ISO 8601 time"),
    (line(defender_record(2, severity="apocalyptic")),
     "severity 'apocalyptic' is not a known severity"),
    (line(defender_record(2, alertDisplayName={"$ne": 1})),
     "alertDisplayName must be a string, got object"),
    (line(defender_record(2) | {"id": "../../etc/passwd"}),
     "id '../../etc/passwd' contains a '..' path segment"),
    (line(defender_record(2, alertDisplayName="A" * 100_000)),
     "alertDisplayName is 100,000 characters long"),
    (line(defender_record(2, startTimeUtc=None)), "missing startTimeUtc"),
]  # fmt: skip


@pytest.mark.parametrize(("bad", "reason"), CASES, ids=[c[1][:30] for c in CASES])
def test_bad_record_is_quarantined_and_the_rest_imports(
    store: Store, tmp_path: Path, bad: bytes, reason: str
) -> None:
    lines = good_and(bad)
    path = write_lines(tmp_path / "alerts.jsonl", lines)
    summary = import_paths(store, [path])
    assert (summary.new, summary.rejected) == (2, 1)
    [entry] = entries(store.conn)
    assert entry.reason.startswith(reason), entry.reason
    assert (entry.file, entry.record_no, entry.byte_offset) == (str(path), 2, len(lines[0]) + 1)


def test_same_id_twice_in_one_file_names_the_first_line(store: Store, tmp_path: Path) -> None:
    lines = [line(defender_record(n)) for n in (1, 2, 3)] + [
        line(defender_record(2, severity="Low"))
    ]
    summary = import_paths(store, [write_lines(tmp_path / "dup.jsonl", lines)])
    assert (summary.new, summary.rejected) == (3, 1)
    [entry] = entries(store.conn)
    assert entry.record_no == 4 and entry.reason.endswith("first seen on line 2")
    severity = store.conn.execute(
        "SELECT severity FROM alerts WHERE source_id = ?", (alert_id(2),)
    ).fetchone()[0]
    assert severity == "High"  # the first copy wins


def test_duplicate_in_a_json_array_names_the_record(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "dup.json"
    path.write_text(json.dumps({"value": [defender_record(1), defender_record(1)]}, indent=2))
    import_paths(store, [path])
    assert entries(store.conn)[0].reason.endswith("first seen on record 1")


def test_nul_in_a_command_line_stays_distinct(store: Store, tmp_path: Path) -> None:
    """SECURITY.md case 26: the stored key shows the NUL, so it never equals 'nightly.exe'."""
    hostile = defender_record(1)
    hostile["properties"]["entities"][1]["commandLine"] = "nightly.exe\x00 & mimikatz.exe"
    benign = defender_record(2)
    import_paths(store, [write_lines(tmp_path / "a.jsonl", [line(hostile), line(benign)])])
    keys = {k for (k,) in store.conn.execute("SELECT key FROM entities WHERE type = 'process'")}
    assert keys == {"web01|nightly.exe\\0 & mimikatz.exe", "web01|nightly.exe"}


def test_reimport_adds_nothing_and_keeps_triage(store: Store, tmp_path: Path) -> None:
    path = write_lines(tmp_path / "a.jsonl", [line(defender_record(n)) for n in range(1, 4)])
    import_paths(store, [path])
    aid = store.conn.execute("SELECT id FROM alerts WHERE source_id = ?", (alert_id(1),)).fetchone()
    with transaction(store.conn) as conn:
        update_triage(conn, "alert", aid[0], 1, {"status": "Resolved", "owner": "alice"}, "alice",
                      "status")  # fmt: skip
    again = import_paths(store, [path])
    assert (again.new, again.updated, again.unchanged) == (0, 0, 3)
    # A newer version of the alert from the source updates source fields, never triage.
    newer = defender_record(1, severity="Low", alertDisplayName="Renamed by the source")
    changed = import_paths(store, [write_lines(tmp_path / "b.jsonl", [line(newer)])])
    assert (changed.new, changed.updated) == (0, 1)
    triage = get_triage(store.conn, "alert", aid[0])
    assert (triage["status"], triage["owner"]) == ("Resolved", "alice")
    row = store.conn.execute(
        "SELECT severity, alert_display_name FROM alerts WHERE id = ?", aid
    ).fetchone()
    assert row == ("Low", "Renamed by the source")
    assert store.conn.execute("SELECT count(*) FROM alerts").fetchone()[0] == 3


def test_strict_rejects_the_whole_file(store: Store, tmp_path: Path) -> None:
    lines = good_and(line(defender_record(2, severity="apocalyptic")))
    path = write_lines(tmp_path / "a.jsonl", lines)
    summary = import_paths(store, [path], strict=True)
    assert (summary.new, summary.rejected) == (0, 1)
    assert store.conn.execute("SELECT count(*) FROM alerts").fetchone()[0] == 0
    assert entries(store.conn)[0].reason.startswith("severity 'apocalyptic'")
    clean = write_lines(tmp_path / "b.jsonl", [lines[0], lines[2]])
    assert import_paths(store, [clean], strict=True).new == 2


def test_strict_counts_in_file_duplicates_as_bad(store: Store, tmp_path: Path) -> None:
    path = write_lines(tmp_path / "a.jsonl", [line(defender_record(1))] * 2)
    assert import_paths(store, [path], strict=True).rejected == 1
    assert store.conn.execute("SELECT count(*) FROM alerts").fetchone()[0] == 0


def test_each_import_is_recorded_and_audited(store: Store, tmp_path: Path) -> None:
    path = write_lines(tmp_path / "a.jsonl", good_and(b"{"))
    import_paths(store, [path])
    row = store.conn.execute(
        "SELECT file, format, new, rejected, finished_at IS NOT NULL FROM imports"
    ).fetchone()
    assert row == (str(path), "defender", 2, 1, 1)
    action, target = store.conn.execute(
        "SELECT action, target_id FROM audit_log ORDER BY id DESC LIMIT 1"
    ).fetchone()
    assert (action, target) == ("import", str(path))


def test_reimporting_a_bad_file_does_not_repeat_quarantine_entries(
    store: Store, tmp_path: Path
) -> None:
    path = write_lines(tmp_path / "a.jsonl", good_and(b"{"))
    import_paths(store, [path])
    import_paths(store, [path])
    assert len(entries(store.conn)) == 1


def test_worker_processes_give_the_same_result(store: Store, tmp_path: Path, monkeypatch) -> None:
    from tui.ingest import pipeline

    monkeypatch.setattr(pipeline, "PARALLEL_BYTES", 0)  # even a small file uses workers
    monkeypatch.setattr(pipeline, "WORK_CHUNK", 3)
    lines = [line(defender_record(n)) for n in range(20)] + [b"{", line(defender_record(4))]
    summary = import_paths(store, [write_lines(tmp_path / "a.jsonl", lines)])
    assert (summary.new, summary.rejected) == (20, 2)
    assert [e.reason for e in entries(store.conn)] == [
        f"duplicate id {alert_id(4)!r}: first seen on line 5",
        "truncated JSON",
    ]
    assert json.loads(entries(store.conn)[0].raw)["id"] == alert_id(4)
    assert sorted(summary.new_ids) == list(range(1, 21))


def test_ocsf_hashes_of_the_wrong_type_are_quarantined(store: Store, tmp_path: Path) -> None:
    """A hostile OCSF finding whose file hashes are a number costs that record only."""
    lines = (DATA / "ocsf_detection_findings.jsonl").read_text().splitlines()
    hostile = json.loads(lines[0])
    hostile["evidences"][0]["process"]["file"]["hashes"] = 7
    path = tmp_path / "findings.jsonl"
    path.write_text("\n".join([json.dumps(hostile), *lines[1:]]) + "\n")
    summary = import_paths(store, [path], fmt="ocsf")
    assert (summary.new, summary.rejected) == (len(lines) - 1, 1)
    [entry] = entries(store.conn)
    assert (entry.record_no, entry.reason) == (1, "hashes must be an array, got number")


def test_an_unforeseen_adapter_error_costs_one_record(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An exception no check anticipated is quarantined with its type, not fatal."""
    normalize = defender.normalize

    def fragile(record: dict, raw: str):
        if record["id"] == alert_id(2):
            raise KeyError("surprise")
        return normalize(record, raw)

    monkeypatch.setattr(defender, "normalize", fragile)
    lines = [line(defender_record(n)) for n in (1, 2, 3)]
    summary = import_paths(store, [write_lines(tmp_path / "a.jsonl", lines)])
    assert (summary.new, summary.rejected) == (2, 1)
    [entry] = entries(store.conn)
    assert (entry.record_no, entry.reason) == (2, "cannot be read (KeyError: 'surprise')")

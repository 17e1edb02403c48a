"""Every corpus record through the importer: quarantined with its specific reason, or stored with
the hostile text kept verbatim as evidence (SECURITY.md cases 1-15, 21-26)."""

from __future__ import annotations

import filecmp
from pathlib import Path

import pytest

from tests.data.hostile import make_corpus
from tests.data.hostile.make_corpus import HERE, Case
from tests.hostile.invariants import assert_consistent
from tui.ingest.pipeline import import_paths
from tui.store import Store
from tui.store.quarantine import entries

SMALL = make_corpus.write_small  # what the committed files must equal


@pytest.fixture(scope="module")
def big_corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, list[Case]]]:
    folder = tmp_path_factory.mktemp("big")
    return folder, make_corpus.write_big(folder)


def test_committed_corpus_is_what_the_script_writes(tmp_path: Path) -> None:
    expected = SMALL(tmp_path)
    for name in expected:
        assert filecmp.cmp(HERE / name, tmp_path / name, shallow=False), name


def _check_outcomes(store: Store, path: Path, cases: list[Case]) -> None:
    summary = import_paths(store, [path])
    stored = [c for c in cases if c.reason is None]
    refused = [c for c in cases if c.reason is not None]
    assert summary.refused == {}
    assert (summary.new, summary.rejected) == (len({c.source_id for c in stored}), len(refused))
    ids = {sid for (sid,) in store.conn.execute("SELECT source_id FROM alerts")}
    assert ids == {c.source_id for c in stored}
    quarantined = entries(store.conn)
    assert len(quarantined) == len(refused)
    for case, entry in zip(refused, sorted(quarantined, key=lambda e: e.record_no), strict=True):
        assert entry.reason.startswith(case.reason), (case.name, entry.reason)
        assert entry.file == str(path)
    assert_consistent(store.conn)
    again = import_paths(store, [path])
    assert (again.new, again.updated) == (0, 0)
    assert len(entries(store.conn)) == len(refused)


@pytest.mark.parametrize("name", list(make_corpus.FILES))
def test_small_corpus_outcomes(store: Store, tmp_path: Path, name: str) -> None:
    cases = SMALL(tmp_path)[name]
    _check_outcomes(store, HERE / name, cases)
    # the evidence is kept exactly as it came: the title field holds the hostile text
    for case in cases:
        if case.value:
            row = store.conn.execute(
                "SELECT alert_display_name, description FROM alerts WHERE source_id = ?",
                (case.source_id,),
            ).fetchone()
            assert row == (case.value, case.value), case.name


def test_deep_nesting_inside_a_json_document(store: Store, big_corpus) -> None:
    folder, expected = big_corpus
    _check_outcomes(store, folder / "big-nested.json", expected["big-nested.json"])


@pytest.mark.parametrize("fmt", make_corpus.FORMATS)
def test_big_corpus_outcomes(store: Store, big_corpus, fmt: str) -> None:
    folder, expected = big_corpus
    name = f"big-{fmt}.jsonl"
    _check_outcomes(store, folder / name, expected[name])
    raw = store.conn.execute(
        "SELECT length(raw) FROM alerts WHERE source_id = ?",
        (make_corpus.source_id(fmt, "megabyte"),),
    ).fetchone()[0]
    assert raw > make_corpus.MIB


def test_nul_and_bidi_keys_stay_distinct_from_benign_ones(store: Store) -> None:
    """SECURITY.md cases 8 and 26: the stored entity keys show the invisible characters."""
    import_paths(store, [HERE / "defender.jsonl"])
    keys = {k for (k,) in store.conn.execute("SELECT key FROM entities")}
    assert any("nightly.exe\\0 & mimikatz.exe" in k for k in keys)
    assert any("invoice\\u202efdp.exe" in k for k in keys)
    assert not any("\x00" in k or "\u202e" in k or "\x1b" in k for k in keys)

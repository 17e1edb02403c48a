"""Hostile alerts through the engines that act on them: suppression never treats a NUL or an
invisible character as absent, a rule stays bounded on huge values, and playbooks get the
alert as JSON data on stdin or in a POST body, never as a command, option or header
(SECURITY.md cases 8, 26, 27, 31, 33)."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.data.hostile import make_corpus
from tests.data.hostile.make_corpus import FILES, HERE, HOSTILE
from tests.engine.playbook_support import Receiver, config_from
from tests.factories import entity, make_alert
from tui.engine import suppression
from tui.engine.playbooks import Target, run_playbook
from tui.engine.suppression_rule import MAX_TEXT, Condition, Op, Rule
from tui.ingest.pipeline import import_paths
from tui.store import Store
from tui.store.alerts import upsert_alerts

PWNED = Path("/tmp/td-pwned")  # what the corpus' shell value tries to create


@pytest.fixture
def hostile_store(store: Store) -> Store:
    import_paths(store, [HERE / name for name in FILES])
    return store


def _alert_id(store: Store, fmt: str, name: str) -> int:
    sid = make_corpus.source_id(fmt, name)
    return store.conn.execute("SELECT id FROM alerts WHERE source_id = ?", (sid,)).fetchone()[0]


def _rule(field: str, op: Op, value: str) -> Rule:
    values, text = ((value,), "") if op is Op.IN else ((), value)
    return Rule("hostile-probe", conditions=(Condition(field, op, values=values, text=text),))


@pytest.mark.parametrize(
    ("field", "benign"),
    [
        ("entities.process.commandline", "nul: nightly.exe"),
        ("entities.account.name", "bidi: invoicefdp.exe admin x"),
        ("entities.file.name", "bidi: invoicefdp.exe admin x"),
    ],
)
@pytest.mark.parametrize("op", [Op.IN, Op.SIMILAR])
def test_invisible_characters_never_match_a_benign_rule(
    hostile_store: Store, field: str, benign: str, op: Op
) -> None:
    """The benign rule matches the benign alert, never the hostile ones that look like it."""
    kind = field.split(".")[1]
    ents = [entity("host", "web01"), entity(kind, benign)]
    [benign_id] = upsert_alerts(
        hostile_store.conn, [make_alert(alert_type="VM_EICAR", entities=ents)]
    ).new_ids
    found = suppression.simulate(hostile_store, _rule(field, op, benign)).alert_ids
    assert found == [benign_id]


@pytest.mark.slow
def test_rules_stay_bounded_on_a_megabyte_command_line(store: Store, tmp_path: Path) -> None:
    """Matching is RE2-free by design (no user regexes); similarity of the longest allowed
    example against 1 MB and 100,000-character command lines finishes in bounded time."""
    make_corpus.write_big(tmp_path)
    import_paths(store, [tmp_path / f"big-{fmt}.jsonl" for fmt in make_corpus.FORMATS])
    pattern = ("a" * 30 + "!") * (MAX_TEXT // 31)
    for op in (Op.SIMILAR, Op.IN):
        started = time.perf_counter()
        found = suppression.simulate(store, _rule("entities.process.commandline", op, pattern))
        assert found.alert_ids == []
        assert time.perf_counter() - started < 10  # a safety bound, not a benchmark


RECORDER = """
import json, sys
json.dump({"stdin": sys.stdin.read(), "argv": sys.argv}, open("seen.json", "w"))
"""


@pytest.mark.parametrize("name", ["shell", "options", "newlines", "nul"])
@pytest.mark.parametrize("fmt", make_corpus.FORMATS)
def test_command_playbook_gets_the_alert_as_json_on_stdin(
    hostile_store: Store, tmp_path: Path, fmt: str, name: str
) -> None:
    PWNED.unlink(missing_ok=True)
    script = tmp_path / "recorder.py"
    script.write_text(RECORDER, encoding="utf-8")
    config = config_from(
        f'[playbooks.probe]\nkind = "command"\nargv = ["{sys.executable}", "{script}"]\n'
        f'cwd = "{tmp_path}"\n',
        tmp_path,
    )
    alert_id = _alert_id(hostile_store, fmt, name)
    run = run_playbook(hostile_store, config, "probe", Target("alert", alert_id), "analyst")
    assert run.status == "success", run.output
    seen = json.loads((tmp_path / "seen.json").read_text(encoding="utf-8"))
    assert seen["argv"] == [str(script)]
    props = json.loads(seen["stdin"])["properties"]
    assert props["alertDisplayName"] == f"{name}: {HOSTILE[name]}"  # unchanged, as data
    assert not PWNED.exists()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def test_webhook_headers_carry_no_alert_text(
    hostile_store: Store, tmp_path: Path, receiver: Receiver
) -> None:
    config = config_from(
        f'[playbooks.hook]\nkind = "webhook"\nurl = "{receiver.url}"\ntimeout = 2\n', tmp_path
    )
    names = ["newlines", "shell", "nul", "osc52", "bidi"]
    for name in names:
        alert_id = _alert_id(hostile_store, "defender", name)
        run = run_playbook(hostile_store, config, "hook", Target("alert", alert_id), "analyst")
        assert run.status == "success", run.output
    assert len(receiver.received) == len(names)
    for name, request in zip(names, receiver.received, strict=True):
        header_names = {key.lower() for key, _value in request.raw_headers}
        assert not header_names & {"x-injected", "set-cookie"}
        assert all(HOSTILE[name] not in value for _key, value in request.raw_headers)
        assert request.json()["properties"]["alertDisplayName"] == f"{name}: {HOSTILE[name]}"

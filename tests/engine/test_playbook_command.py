"""Command playbooks run for real: stdin JSON, environment, exit codes, timeouts that kill the
process group, capped output, and hostile alert text that never executes (SECURITY 31, 32)."""

from __future__ import annotations

import json
import os
import sys
import time
import tracemalloc
from pathlib import Path

import pytest

from tests.engine.playbook_support import (
    HOSTILE_TITLE,
    PWNED,
    add_alert,
    add_incident,
    config_from,
)
from tests.factories import entity
from tui.engine.playbooks import PlaybookError, Target, load_playbooks, run_playbook
from tui.store import Store
from tui.store.audit import history

PY = sys.executable


def _script(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


def _config(tmp_path: Path, script: Path, extra: str = "") -> object:
    return config_from(
        f'[playbooks.probe]\nkind = "command"\nargv = ["{PY}", "{script}"]\n'
        f'cwd = "{tmp_path}"\n{extra}\n',
        tmp_path,
    )


RECORDER = """
import json, os, sys
data = sys.stdin.read()
json.dump({"stdin": data, "argv": sys.argv, "env": dict(os.environ), "cwd": os.getcwd()},
          open("seen.json", "w"))
print("recorded")
"""


def test_payload_arrives_on_stdin_and_alert_text_never_executes(
    store: Store, tmp_path: Path
) -> None:
    for path in PWNED:
        path.unlink(missing_ok=True)
    alert_id = add_alert(store, title=HOSTILE_TITLE, compromised_entity="--all-users")
    script = _script(tmp_path, "recorder.py", RECORDER)
    run = run_playbook(store, _config(tmp_path, script), "probe", Target("alert", alert_id), "al")
    seen = json.loads((tmp_path / "seen.json").read_text())
    assert run.status == "success" and run.exit_code == 0
    assert run.output.startswith("recorded")
    payload = json.loads(seen["stdin"])
    assert payload["properties"]["alertDisplayName"] == HOSTILE_TITLE
    assert payload["properties"]["compromisedEntity"] == "--all-users"
    assert seen["argv"] == [str(script)]  # no alert data in argv: no option can be parsed
    assert not any(p.exists() for p in PWNED)  # nothing executed
    assert seen["cwd"] == str(tmp_path)


def test_environment_holds_ids_and_named_secrets_only(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TD_TEST_TOKEN", "s3cr3t-value")
    monkeypatch.setenv("TD_UNRELATED_SECRET", "do-not-pass")
    alert_id = add_alert(store, title=HOSTILE_TITLE)
    script = _script(tmp_path, "recorder.py", RECORDER + "print(os.environ['TICKET_TOKEN'])\n")
    config = _config(
        tmp_path, script, '[playbooks.probe.env]\nTICKET_TOKEN = "${env:TD_TEST_TOKEN}"'
    )
    run = run_playbook(store, config, "probe", Target("alert", alert_id), "alice")
    env = json.loads((tmp_path / "seen.json").read_text())["env"]
    assert env["TICKET_TOKEN"] == "s3cr3t-value"
    assert "TD_UNRELATED_SECRET" not in env
    assert env["THREATDESK_PLAYBOOK"] == "probe"
    assert env["THREATDESK_TARGET_TYPE"] == "alert"
    assert env["THREATDESK_TARGET_ID"] == str(alert_id)
    assert env["THREATDESK_RUN_ID"] == str(run.id)
    assert env["THREATDESK_ACTOR"] == "alice"
    assert not any("touch" in value for value in env.values())
    assert "s3cr3t-value" not in run.output and "[secret]" in run.output  # echoed, redacted


def test_non_zero_exit_is_a_failure_with_its_code_and_stderr(store: Store, tmp_path: Path) -> None:
    alert_id = add_alert(store)
    script = _script(tmp_path, "fail.py", "import sys\nprint('boom', file=sys.stderr)\nsys.exit(3)")
    run = run_playbook(store, _config(tmp_path, script), "probe", Target("alert", alert_id), "al")
    assert (run.status, run.exit_code, run.error) == ("failed", 3, "exit code 3")
    assert "--- stderr ---\nboom" in run.output


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (already dead, not yet reaped by its new parent) counts as dead.
    status = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    return status != "Z"


SPAWNER = """
import subprocess, sys, time
child = subprocess.Popen(["sleep", "60"])  # a background child in the same process group
open("child.pid", "w").write(str(child.pid))
print("started", flush=True)
time.sleep(float(sys.argv[1]))
"""


def _gone(pid: int) -> bool:
    for _ in range(100):
        if not _alive(pid):
            return True
        time.sleep(0.02)
    return False


def test_timeout_kills_the_whole_process_group(store: Store, tmp_path: Path) -> None:
    alert_id = add_alert(store)
    script = _script(tmp_path, "hang.py", SPAWNER)
    config = config_from(
        f'[playbooks.probe]\nkind = "command"\nargv = ["{PY}", "{script}", "60"]\n'
        f'cwd = "{tmp_path}"\ntimeout = 1\n',
        tmp_path,
    )
    started = time.monotonic()
    run = run_playbook(store, config, "probe", Target("alert", alert_id), "al")
    assert time.monotonic() - started < 10
    assert run.status == "timeout"
    assert "whole process group" in run.error
    assert "started" in run.output  # output before the kill is kept
    result = history(store.conn, "alert", alert_id)[-1]
    assert (result["action"], result["after"]["status"]) == ("playbook.result", "timeout")
    assert _gone(int((tmp_path / "child.pid").read_text()))


def test_children_left_behind_die_with_the_playbook(store: Store, tmp_path: Path) -> None:
    alert_id = add_alert(store)
    script = _script(tmp_path, "spawn.py", SPAWNER)
    config = config_from(
        f'[playbooks.probe]\nkind = "command"\nargv = ["{PY}", "{script}", "0"]\n'
        f'cwd = "{tmp_path}"\ntimeout = 20\n',
        tmp_path,
    )
    run = run_playbook(store, config, "probe", Target("alert", alert_id), "al")
    assert run.status == "success" and run.duration_ms < 10_000
    assert _gone(int((tmp_path / "child.pid").read_text()))


def test_huge_output_is_capped_in_memory_and_marked_truncated(store: Store, tmp_path: Path) -> None:
    alert_id = add_alert(store)
    script = _script(
        tmp_path,
        "printer.py",
        "import sys\nblock = b'A' * 1048576\nfor _ in range(300):\n"
        "    sys.stdout.buffer.write(block)\n",
    )
    config = _config(tmp_path, script, "max_output = 4096\ntimeout = 60")
    tracemalloc.start()
    try:
        run = run_playbook(store, config, "probe", Target("alert", alert_id), "al")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert run.status == "success" and run.truncated
    assert run.output.startswith("A" * 4096 + "\n… [+")
    assert f"[+{300 * 1048576 - 4096} bytes]" in run.output
    assert peak < 16 * 2**20  # 300 MB went through; what was kept stayed small
    assert history(store.conn, "alert", alert_id)[-1]["after"]["truncated"] is True


def test_a_missing_program_or_directory_fails_with_the_reason(store: Store, tmp_path: Path) -> None:
    alert_id = add_alert(store)
    config = config_from(
        '[playbooks.nope]\nkind = "command"\nargv = ["/nonexistent/tool"]\n'
        f'[playbooks.nodir]\nkind = "command"\nargv = ["true"]\ncwd = "{tmp_path}/gone"\n',
        tmp_path,
    )
    run = run_playbook(store, config, "nope", Target("alert", alert_id), "al")
    assert run.status == "failed" and "cannot start /nonexistent/tool" in run.error
    run = run_playbook(store, config, "nodir", Target("alert", alert_id), "al")
    assert run.status == "failed" and "does not exist" in run.error


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('kind = "command"\nargv = "rm -rf / ; echo"', "argv must be a non-empty list"),
        ('kind = "command"\nargv = ["curl", "${env:TOKEN}"]', "must not hold secrets"),
        ('kind = "shell"\nargv = ["x"]', "kind must be"),
        ('kind = "command"\nargv = ["x"]\ntimeout = -1', "timeout must be"),
    ],
)
def test_bad_command_playbooks_are_refused_with_a_reason(
    tmp_path: Path, table: str, message: str
) -> None:
    with pytest.raises(PlaybookError, match=message) as caught:
        load_playbooks(config_from(f"[playbooks.bad]\n{table}\n", tmp_path))
    assert "[playbooks.bad]" in str(caught.value)


def test_a_playbooks_key_that_is_not_a_table_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PlaybookError, match=r"\[playbooks\] must be a table"):
        load_playbooks(config_from('playbooks = "block everything"\n', tmp_path))


# --- the shipped examples ------------------------------------------------------------------------


def _examples_config(tmp_path: Path) -> object:
    out = tmp_path / "out"
    return config_from(
        '[playbooks.block-ips]\nkind = "command"\n'
        f'argv = ["${{python}}", "${{examples}}/block_ips.py", "--out-dir", "{out}",'
        ' "--allow", "198.51.100.0/24"]\n'
        '[playbooks.ticket]\nkind = "command"\n'
        f'argv = ["${{python}}", "${{examples}}/write_ticket.py", "--out-dir", "{out}"]\n',
        tmp_path,
    )


def test_block_ips_example_writes_nsg_and_nftables_rules(store: Store, tmp_path: Path) -> None:
    first = add_alert(
        store,
        title=HOSTILE_TITLE,
        entities=[
            entity("ip", "203.0.113.9", address="203.0.113.9"),
            entity("ip", "10.1.2.3", address="10.1.2.3"),
            entity("ip", "198.51.100.7", address="198.51.100.7"),
        ],
    )
    second = add_alert(store, entities=[entity("ip", "2001:db8::66", address="2001:db8::66")])
    incident = add_incident(store, [first, second])
    run = run_playbook(
        store, _examples_config(tmp_path), "block-ips", Target("incident", incident), "al"
    )
    assert run.status == "success", run.error
    nsg = json.loads((tmp_path / "out" / f"nsg-block-incident-{incident}.json").read_text())
    inbound = nsg["securityRules"][0]["properties"]
    assert inbound["access"] == "Deny" and inbound["direction"] == "Inbound"
    # private 10/8 and the allowed 198.51.100.0/24 are never blocked
    assert inbound["sourceAddressPrefixes"] == ["203.0.113.9", "2001:db8::66"]
    nft = (tmp_path / "out" / f"nftables-block-incident-{incident}.nft").read_text()
    assert "elements = { 203.0.113.9 }" in nft and "elements = { 2001:db8::66 }" in nft
    assert not any(p.exists() for p in PWNED)


def test_ticket_example_keeps_alert_text_literal(store: Store, tmp_path: Path) -> None:
    alert_id = add_alert(store, title="[click](https://evil.example) \x1b]2;PWNED\x07")
    run = run_playbook(
        store, _examples_config(tmp_path), "ticket", Target("alert", alert_id), "alice"
    )
    assert run.status == "success", run.error
    markdown = (tmp_path / "out" / f"TD-alert-{alert_id}.md").read_text()
    assert r"\[click\]\(https://evil\.example\) \\x1b\]2;PWNED\\x07" in markdown
    assert "\x1b" not in markdown
    ticket = json.loads((tmp_path / "out" / f"TD-alert-{alert_id}.json").read_text())
    assert ticket["run"]["actor"] == "alice" and ticket["alertIds"] == [alert_id]

"""Webhook playbooks against a real HTTP server on 127.0.0.1: retries with one idempotency key,
timeouts, redirects not followed, secrets from the environment only (SECURITY 33)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.engine.playbook_support import (
    HOSTILE_TITLE,
    Receiver,
    add_alert,
    add_incident,
    config_from,
)
from tui.config import Config
from tui.engine.playbooks import PlaybookError, Target, load_playbooks, run_playbook
from tui.store import Store
from tui.store.audit import history


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def _config(tmp_path: Path, url: str, extra: str = "") -> Config:
    return config_from(
        f'[playbooks.hook]\nkind = "webhook"\nurl = "{url}"\ntimeout = 2\nretries = 2\n'
        f"backoff = 0.01\n{extra}\n",
        tmp_path,
    )


def test_posts_the_alert_in_defender_schema(
    store: Store, tmp_path: Path, receiver: Receiver
) -> None:
    alert_id = add_alert(store, title="Suspicious PowerShell", severity="High")
    run = run_playbook(
        store, _config(tmp_path, receiver.url), "hook", Target("alert", alert_id), "al"
    )
    assert (run.status, run.http_status, run.attempts) == ("success", 200, 1)
    assert run.output.startswith('HTTP 200 OK\n{"ok": true}')
    [request] = receiver.received
    assert request.path == "/hook"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Idempotency-Key"] == run.idempotency_key
    alert = request.json()
    assert alert["type"] == "Microsoft.Security/Locations/alerts"
    props = alert["properties"]
    assert (props["alertDisplayName"], props["severity"], props["status"]) == (
        "Suspicious PowerShell",
        "High",
        "Active",
    )
    assert {e["type"] for e in props["entities"]} == {"ip", "host"}


def test_posts_an_incident_with_its_alerts(
    store: Store, tmp_path: Path, receiver: Receiver
) -> None:
    alerts = [add_alert(store, title="first"), add_alert(store, title="second")]
    incident = add_incident(store, alerts, title="Ransomware on web-01")
    config = _config(tmp_path, receiver.url)
    run = run_playbook(store, config, "hook", Target("incident", incident), "al")
    assert run.status == "success"
    body = receiver.received[0].json()
    assert body["incident"]["title"] == "Ransomware on web-01"
    assert [a["properties"]["alertDisplayName"] for a in body["alerts"]] == ["first", "second"]
    assert {"type": "ip", "key": "198.51.100.23", "display": "198.51.100.23"} in body["incident"][
        "entities"
    ]


def test_5xx_is_retried_with_the_same_idempotency_key(
    store: Store, tmp_path: Path, receiver: Receiver
) -> None:
    receiver.answers = [503, 503, 201]
    alert_id = add_alert(store)
    run = run_playbook(
        store, _config(tmp_path, receiver.url), "hook", Target("alert", alert_id), "al"
    )
    assert (run.status, run.http_status, run.attempts) == ("success", 201, 3)
    keys = {r.headers["Idempotency-Key"] for r in receiver.received}
    assert len(receiver.received) == 3 and keys == {run.idempotency_key}


def test_persistent_5xx_fails_after_the_retries(
    store: Store, tmp_path: Path, receiver: Receiver
) -> None:
    receiver.answers = [500, 502, 503]
    alert_id = add_alert(store)
    run = run_playbook(
        store, _config(tmp_path, receiver.url), "hook", Target("alert", alert_id), "al"
    )
    assert (run.status, run.http_status, run.attempts) == ("failed", 503, 3)
    assert run.error == "HTTP 503 Service Unavailable"


def test_4xx_fails_without_retrying(store: Store, tmp_path: Path, receiver: Receiver) -> None:
    receiver.answers = [401]
    alert_id = add_alert(store)
    run = run_playbook(
        store, _config(tmp_path, receiver.url), "hook", Target("alert", alert_id), "al"
    )
    assert (run.status, run.http_status, len(receiver.received)) == ("failed", 401, 1)


def test_a_hanging_endpoint_times_out(store: Store, tmp_path: Path, receiver: Receiver) -> None:
    receiver.answers = ["hang"]
    alert_id = add_alert(store)
    config = config_from(
        f'[playbooks.hook]\nkind = "webhook"\nurl = "{receiver.url}"\ntimeout = 0.5\n',
        tmp_path,
    )
    started = time.monotonic()
    run = run_playbook(store, config, "hook", Target("alert", alert_id), "al")
    assert time.monotonic() - started < 5
    assert run.status == "timeout" and run.error == "no answer within 0.5 s"
    assert len(receiver.received) == 1  # a timeout is not retried


@pytest.mark.parametrize(
    "location", ["http://10.0.0.1:8080/internal", "file:///etc/passwd", "/hook-elsewhere"]
)
def test_redirects_are_not_followed(
    store: Store, tmp_path: Path, receiver: Receiver, location: str
) -> None:
    receiver.answers = [(307, {"Location": location})]
    alert_id = add_alert(store)
    run = run_playbook(
        store, _config(tmp_path, receiver.url), "hook", Target("alert", alert_id), "al"
    )
    assert (run.status, run.http_status) == ("failed", 307)
    assert "not followed" in run.error and location in run.error
    assert len(receiver.received) == 1  # the alert went nowhere else


def test_connection_refused_is_retried_then_fails(store: Store, tmp_path: Path) -> None:
    closed = Receiver()
    url = closed.url
    closed.close()
    alert_id = add_alert(store)
    run = run_playbook(store, _config(tmp_path, url), "hook", Target("alert", alert_id), "al")
    assert (run.status, run.attempts, run.http_status) == ("failed", 3, None)
    assert run.error.startswith("connection failed: ConnectionRefusedError")


def test_hostile_title_stays_in_the_body_and_out_of_the_headers(
    store: Store, tmp_path: Path, receiver: Receiver
) -> None:
    alert_id = add_alert(store, title=HOSTILE_TITLE)
    run = run_playbook(
        store, _config(tmp_path, receiver.url), "hook", Target("alert", alert_id), "al"
    )
    assert run.status == "success"
    [request] = receiver.received
    assert "X-Injected" not in request.headers
    assert not any("touch" in v or "touch" in k for k, v in request.raw_headers)
    assert request.json()["properties"]["alertDisplayName"] == HOSTILE_TITLE


def test_secret_headers_come_from_the_environment_and_are_never_stored(
    store: Store, tmp_path: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TD_TICKET_TOKEN", "tok-123456")
    alert_id = add_alert(store)
    config = _config(
        tmp_path,
        receiver.url + "?code=${env:TD_TICKET_TOKEN}",
        '[playbooks.hook.headers]\nAuthorization = "Bearer ${env:TD_TICKET_TOKEN}"',
    )
    run = run_playbook(store, config, "hook", Target("alert", alert_id), "al")
    [request] = receiver.received
    assert request.headers["Authorization"] == "Bearer tok-123456"
    assert request.path == "/hook?code=tok-123456"
    stored = json.dumps([list(r) for r in store.conn.execute("SELECT * FROM playbook_runs")])
    audit = json.dumps(history(store.conn, "alert", alert_id))
    assert run.status == "success"
    assert "tok-123456" not in stored and "tok-123456" not in audit


def test_a_missing_secret_fails_the_run_naming_the_variable(
    store: Store, tmp_path: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TD_ABSENT", raising=False)
    alert_id = add_alert(store)
    config = _config(tmp_path, receiver.url, '[playbooks.hook.headers]\nX-Key = "${env:TD_ABSENT}"')
    run = run_playbook(store, config, "hook", Target("alert", alert_id), "al")
    assert run.status == "failed"
    assert (
        run.error
        == "playbook hook: header X-Key needs environment variable TD_ABSENT, which is not set"
    )
    assert receiver.received == []


def test_a_secret_with_a_line_break_never_reaches_a_header(
    store: Store, tmp_path: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TD_BROKEN", "abc\r\nX-Injected: 1")
    alert_id = add_alert(store)
    config = _config(tmp_path, receiver.url, '[playbooks.hook.headers]\nX-Key = "${env:TD_BROKEN}"')
    run = run_playbook(store, config, "hook", Target("alert", alert_id), "al")
    assert run.status == "failed" and "line break" in run.error
    assert receiver.received == []


@pytest.mark.parametrize(
    ("url", "header"),
    [
        ("file:///etc/passwd", ""),
        ("ftp://example.com/x", ""),
        ("https://${env:HOST}/x", ""),
        ("https://user:pw@example.com/x", ""),
        ("https://example.com:99999/x", ""),
        ("https://example.com/x", 'Idempotency-Key = "fixed"'),
        ("https://example.com/x", '"Bad Header" = "x"'),
    ],
)
def test_bad_webhooks_are_refused_at_load(tmp_path: Path, url: str, header: str) -> None:
    text = f'[playbooks.bad]\nkind = "webhook"\nurl = "{url}"\n[playbooks.bad.headers]\n{header}\n'
    with pytest.raises(PlaybookError, match=r"\[playbooks\.bad\]"):
        load_playbooks(config_from(text, tmp_path))

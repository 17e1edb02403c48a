"""Shared by the playbook tests: config from TOML text, alerts and incidents in a store, and a
real HTTP receiver on 127.0.0.1 whose answers each test scripts."""

from __future__ import annotations

import json
import threading
import tomllib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.factories import entity, make_alert
from tui.config import Config
from tui.model import Alert
from tui.store import Store, transaction
from tui.store.alerts import upsert_alerts

HOSTILE_TITLE = (
    "bob; touch /tmp/td-pwned-1 $(touch /tmp/td-pwned-2) `touch /tmp/td-pwned-3` | id &&"
    " --all-users -oProxyCommand=touch\r\nX-Injected: yes\r\n\r\n[@click=app.quit]x[/]"
)
PWNED = [Path(f"/tmp/td-pwned-{n}") for n in (1, 2, 3)]


def config_from(text: str, tmp_path: Path) -> Config:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return Config(path=path, data=tomllib.loads(text))


def add_alerts(store: Store, *alerts: Alert) -> list[int]:
    return upsert_alerts(store.conn, list(alerts)).new_ids or []


def add_alert(store: Store, **fields: object) -> int:
    fields.setdefault(
        "entities",
        [entity("ip", "198.51.100.23", address="198.51.100.23"), entity("host", "web-01")],
    )
    return add_alerts(store, make_alert(**fields))[0]


def add_incident(store: Store, alert_ids: list[int], title: str = "Multi-stage attack") -> int:
    """Test setup only: correlation owns incident creation."""
    with transaction(store.conn) as conn:
        incident_id = conn.execute(
            "INSERT INTO incidents (title, severity, severity_rank, first_activity_utc,"
            " last_activity_utc, alert_count, created_at, updated_at)"
            " VALUES (?, 'High', 3, 't0', 't1', ?, 't0', 't0')",
            (title, len(alert_ids)),
        ).lastrowid
        conn.executemany(
            "INSERT INTO incident_alerts (alert_id, incident_id, joined_at) VALUES (?, ?, 't0')",
            [(a, incident_id) for a in alert_ids],
        )
    return incident_id


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    raw_headers: list[tuple[str, str]]
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A real HTTP server. `answers` are consumed one per request: an int status, a
    (status, headers dict) pair, or "hang" (never answer until the test ends)."""

    answers: list = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    released: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.received.append(
                    Received(self.path, dict(self.headers), list(self.headers.items()), body)
                )
                answer = receiver.answers.pop(0) if receiver.answers else 200
                if answer == "hang":
                    receiver.released.wait(30)
                    return
                status, headers = answer if isinstance(answer, tuple) else (answer, {})
                payload = b'{"ok": true}'
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()

"""Playbooks as declared in the config file's `[playbooks.NAME]` tables.

Secrets stay in environment variables: a header, URL or env value may say `${env:TICKET_TOKEN}`
and is expanded only at the moment of sending. The template, never the value, is what the
database, the audit log and the screen see. Command lines may use `${python}` (this Python),
`${examples}` (the bundled example playbooks) and `${config_dir}`; never alert data.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tui.config import Config, ConfigError, data_dir

KINDS = ("webhook", "command")
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_HEADER_NAME_RE = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_SECRET_RE = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}")
_RESERVED_HEADERS = {"content-type", "content-length", "host", "idempotency-key"}


class PlaybookError(Exception):
    """A playbook that cannot be used as declared or run as asked; the message says why."""


@dataclass(frozen=True, slots=True)
class Playbook:
    name: str
    kind: str
    description: str
    timeout: float
    max_output: int
    # webhook
    url: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    retries: int = 0
    backoff: float = 0.0
    # command
    argv: tuple[str, ...] = ()
    cwd: str = ""
    env: tuple[tuple[str, str], ...] = ()

    @property
    def destination(self) -> str:
        """Where the payload goes, as declared (secrets unexpanded)."""
        if self.kind == "webhook":
            return f"POST {self.url}"
        return " ".join(self.argv)

    @property
    def max_seconds(self) -> float:
        """Longest a run can take, backoff included: past it a 'running' row was abandoned."""
        attempts = self.retries + 1
        return self.timeout * attempts + self.backoff * (2**attempts) + 30


def load_playbooks(config: Config) -> dict[str, Playbook]:
    """Every playbook in the config, validated; errors name the playbook and the field."""
    out = {}
    try:
        tables = config.section("playbooks")
    except ConfigError as exc:
        raise PlaybookError(str(exc)) from exc
    for name, table in tables.items():
        where = f"[playbooks.{name}]"
        if not NAME_RE.match(name):
            raise PlaybookError(f"{where}: name must be letters, digits, '-', '_' or '.'")
        if not isinstance(table, dict):
            raise PlaybookError(f"{where}: must be a table")
        out[name] = _playbook(name, table, where, config)
    return out


def get_playbook(config: Config, name: str) -> Playbook:
    playbooks = load_playbooks(config)
    if name not in playbooks:
        known = ", ".join(sorted(playbooks)) or "none configured"
        raise PlaybookError(f"no playbook named {name!r} (playbooks: {known})")
    return playbooks[name]


def _playbook(name: str, table: dict[str, Any], where: str, config: Config) -> Playbook:
    kind = table.get("kind")
    if kind not in KINDS:
        raise PlaybookError(f"{where}: kind must be 'webhook' or 'command', not {kind!r}")
    common = {
        "name": name,
        "kind": kind,
        "description": _text(table, "description", where, ""),
        "timeout": _number(table, "timeout", where, 30.0, 0.1, 3600),
        "max_output": int(_number(table, "max_output", where, 65536, 256, 16 * 2**20)),
    }
    if kind == "webhook":
        return Playbook(
            **common,
            url=_url(table, where),
            headers=_headers(table, where),
            retries=int(_number(table, "retries", where, 2, 0, 10)),
            backoff=_number(table, "backoff", where, 1.0, 0, 60),
        )
    return Playbook(
        **common,
        argv=_argv(table, where, config),
        cwd=_expand_paths(_text(table, "cwd", where, ""), config),
        env=_string_table(table, "env", where),
    )


def _text(table: dict[str, Any], key: str, where: str, default: str) -> str:
    value = table.get(key, default)
    if not isinstance(value, str):
        raise PlaybookError(f"{where}: {key} must be a string")
    return value


def _number(
    table: dict[str, Any], key: str, where: str, default: float, low: float, high: float
) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise PlaybookError(f"{where}: {key} must be a number from {low:g} to {high:g}")
    return float(value)


def _url(table: dict[str, Any], where: str) -> str:
    url = _text(table, "url", where, "")
    # The scheme and host must be literal: only the path or query may hold a secret.
    parts = urlsplit(url)
    try:
        _ = parts.port
    except ValueError as exc:
        raise PlaybookError(f"{where}: url has an invalid port ({exc})") from exc
    literal_host = parts.hostname and "${" not in parts.netloc and parts.username is None
    if parts.scheme not in ("http", "https") or not literal_host:
        raise PlaybookError(
            f"{where}: url must be a literal http:// or https:// address without credentials"
        )
    return url


def _headers(table: dict[str, Any], where: str) -> tuple[tuple[str, str], ...]:
    headers = _string_table(table, "headers", where)
    for header, value in headers:
        if not _HEADER_NAME_RE.match(header) or header.lower() in _RESERVED_HEADERS:
            raise PlaybookError(f"{where}: header name {header!r} is not allowed")
        if any(ch in value for ch in "\r\n\0"):
            raise PlaybookError(f"{where}: header {header} contains a line break")
    return headers


def _string_table(table: dict[str, Any], key: str, where: str) -> tuple[tuple[str, str], ...]:
    value = table.get(key, {})
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise PlaybookError(f"{where}: {key} must be a table of strings")
    return tuple(value.items())


def _argv(table: dict[str, Any], where: str, config: Config) -> tuple[str, ...]:
    argv = table.get("argv")
    if not isinstance(argv, list) or not argv or not all(isinstance(a, str) for a in argv):
        raise PlaybookError(
            f"{where}: argv must be a non-empty list of strings (a shell string is not accepted)"
        )
    if any(_SECRET_RE.search(a) for a in argv):
        raise PlaybookError(f"{where}: argv must not hold secrets (other users can read it)")
    return tuple(_expand_paths(a, config) for a in argv)


def _expand_paths(text: str, config: Config) -> str:
    config_dir = str(config.path.parent) if config.path else os.getcwd()
    text = (
        text.replace("${python}", sys.executable)
        .replace("${examples}", str(examples_dir()))
        .replace("${config_dir}", config_dir)
    )
    return os.path.expanduser(text)


def examples_dir() -> Path:
    """The example playbooks shipped in data/playbooks."""
    return data_dir() / "playbooks"


def expand_secrets(template: str, where: str) -> tuple[str, list[str]]:
    """Replace `${env:NAME}` with the environment value; return it and the secrets used."""
    secrets: list[str] = []

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        found = os.environ.get(name)
        if found is None:
            raise PlaybookError(f"{where} needs environment variable {name}, which is not set")
        secrets.append(found)
        return found

    return _SECRET_RE.sub(value, template), secrets


def missing_secrets(playbook: Playbook) -> list[str]:
    """Environment variables the playbook's secrets name that are not set here."""
    templates = [playbook.url, *(v for _n, v in playbook.headers), *(v for _n, v in playbook.env)]
    names = dict.fromkeys(n for t in templates for n in _SECRET_RE.findall(t))
    return [n for n in names if n not in os.environ]


def redact(text: str, secrets: list[str]) -> str:
    """Hide secret values a receiver or a script may echo back."""
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= 4:
            text = text.replace(secret, "[secret]")
    return text

"""Webhook playbooks: POST the payload as JSON with http.client.

http.client never follows redirects, so a 30x (even a 307 to an internal host) is reported as a
failure and the alert is not re-sent anywhere. Every socket operation has the playbook's timeout.
5xx, 429 and connection errors are retried with exponential backoff and the same Idempotency-Key,
so a receiver that honours it acts once. A timeout is not retried: the receiver may still be
working, and the analyst should not wait for it several times over.
"""

from __future__ import annotations

import http.client
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from tui import __version__
from tui.engine.playbooks.definitions import Playbook, PlaybookError, expand_secrets, redact
from tui.store.playbooks import RunResult

_CHUNK = 65536


@dataclass(frozen=True, slots=True)
class _Response:
    status: int
    reason: str
    location: str
    body: bytes
    truncated: bool


def post(
    playbook: Playbook,
    body: bytes,
    idempotency_key: str,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> RunResult:
    """Send `body`; return the outcome. Raises PlaybookError when a secret is missing."""
    url, secrets = expand_secrets(playbook.url, f"playbook {playbook.name}: url")
    headers = {
        "Content-Type": "application/json",
        "User-Agent": f"threatdesk/{__version__}",
        "Idempotency-Key": idempotency_key,
    }
    for name, template in playbook.headers:
        value, used = expand_secrets(template, f"playbook {playbook.name}: header {name}")
        if any(ch in value for ch in "\r\n\0"):
            raise PlaybookError(f"playbook {playbook.name}: header {name} contains a line break")
        headers[name] = value
        secrets += used
    started = time.monotonic()
    last: _Response | None = None
    error = ""
    for attempt in range(1, playbook.retries + 2):
        try:
            last = _send(url, headers, body, playbook)
        except TimeoutError:
            return _result(started, attempt, secrets, status="timeout", error=_timed_out(playbook))
        except (OSError, http.client.HTTPException) as exc:
            last, error = None, f"connection failed: {exc.__class__.__name__}: {exc}"
        else:
            if last.status < 500 and last.status != 429:
                return _finished(last, started, attempt, secrets)
        if attempt <= playbook.retries:
            sleep(playbook.backoff * 2 ** (attempt - 1))
    if last is not None:
        return _finished(last, started, attempt, secrets)
    return _result(started, attempt, secrets, status="failed", error=error)


def _timed_out(playbook: Playbook) -> str:
    return f"no answer within {playbook.timeout:g} s"


def _send(url: str, headers: dict[str, str], body: bytes, playbook: Playbook) -> _Response:
    parts = urlsplit(url)
    cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    conn = cls(parts.hostname, parts.port, timeout=playbook.timeout)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    deadline = time.monotonic() + playbook.timeout
    try:
        conn.request("POST", target, body=body, headers=headers)
        response = conn.getresponse()
        data = bytearray()
        truncated = False
        while chunk := response.read(_CHUNK):
            if time.monotonic() > deadline:  # a receiver trickling bytes forever
                raise TimeoutError
            keep = playbook.max_output - len(data)
            data += chunk[: max(keep, 0)]
            if len(chunk) > keep:
                truncated = True
                break
        return _Response(
            response.status,
            response.reason,
            response.getheader("Location") or "",
            bytes(data),
            truncated,
        )
    finally:
        conn.close()


def _finished(response: _Response, started: float, attempts: int, secrets: list[str]) -> RunResult:
    status = "success" if 200 <= response.status < 300 else "failed"
    error = ""
    if 300 <= response.status < 400:
        error = f"redirect (HTTP {response.status}) to {response.location!r} not followed"
    elif status == "failed":
        error = f"HTTP {response.status} {response.reason}"
    output = f"HTTP {response.status} {response.reason}\n" + response.body.decode(
        "utf-8", "replace"
    )
    return _result(
        started,
        attempts,
        secrets,
        status=status,
        http_status=response.status,
        truncated=response.truncated,
        output=output,
        error=error,
    )


def _result(
    started: float,
    attempts: int,
    secrets: list[str],
    *,
    status: str,
    error: str = "",
    output: str = "",
    http_status: int | None = None,
    truncated: bool = False,
) -> RunResult:
    return RunResult(
        status=status,
        duration_ms=round((time.monotonic() - started) * 1000),
        attempts=attempts,
        truncated=truncated,
        http_status=http_status,
        output=redact(output, secrets),
        error=redact(error, secrets),
    )

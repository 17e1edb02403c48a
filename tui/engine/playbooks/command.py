"""Command playbooks: run an argv list with the payload on stdin.

Alert data never becomes a command word, an option or shell text: there is no shell, the argv
comes from the config only, and the payload arrives as JSON on stdin. The child gets a small
environment (no secrets of the analyst's shell besides those the playbook names) and runs in its
own session, so at the timeout the whole process group is killed, background children included.
When the playbook's main process exits, what it left running in its group is killed too: a
playbook's lifetime bounds its children. Output is read in chunks and kept only up to
`max_output` bytes per stream; the rest is drained and counted, so a 500 MB printer costs no memory.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import IO

from tui.engine.playbooks.definitions import Playbook, PlaybookError, expand_secrets, redact
from tui.store.playbooks import RunResult

_PASSED_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "USER", "LOGNAME", "TMPDIR")
_CHUNK = 65536
_POLL = 0.02


class _CappedReader(threading.Thread):
    """Drain a pipe, keeping at most `cap` bytes."""

    def __init__(self, pipe: IO[bytes], cap: int) -> None:
        super().__init__(daemon=True)
        self.pipe, self.cap = pipe, cap
        self.data = bytearray()
        self.total = 0

    def run(self) -> None:
        fd = self.pipe.fileno()
        while chunk := os.read(fd, _CHUNK):
            self.total += len(chunk)
            room = self.cap - len(self.data)
            if room > 0:
                self.data += chunk[:room]

    @property
    def truncated(self) -> bool:
        return self.total > len(self.data)


def _environment(playbook: Playbook, threatdesk_vars: dict[str, str]) -> tuple[dict, list[str]]:
    """The child's environment and the secret values in it."""
    env = {k: os.environ[k] for k in _PASSED_ENV if k in os.environ}
    secrets: list[str] = []
    for name, template in playbook.env:
        env[name], used = expand_secrets(template, f"playbook {playbook.name}: env {name}")
        secrets += used
    env.update(threatdesk_vars)
    return env, secrets


def execute(playbook: Playbook, body: bytes, threatdesk_vars: dict[str, str]) -> RunResult:
    """Run the command; return the outcome. Raises PlaybookError when it cannot be set up."""
    env, secrets = _environment(playbook, threatdesk_vars)
    cwd = Path(playbook.cwd) if playbook.cwd else Path.home()
    if not cwd.is_dir():
        raise PlaybookError(f"playbook {playbook.name}: working directory {cwd} does not exist")
    started = time.monotonic()
    try:
        proc = subprocess.Popen(
            playbook.argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd,
            env=env,
            start_new_session=True,
            close_fds=True,
        )
    except OSError as exc:
        return RunResult(
            status="failed",
            duration_ms=0,
            error=f"cannot start {playbook.argv[0]}: {exc.strerror or exc}",
        )
    readers = [_CappedReader(proc.stdout, playbook.max_output)]
    readers.append(_CappedReader(proc.stderr, playbook.max_output))
    writer = threading.Thread(target=_feed, args=(proc.stdin, body), daemon=True)
    for thread in (*readers, writer):
        thread.start()
    exited = _wait_unreaped(proc.pid, started + playbook.timeout)
    _kill_group(proc.pid)
    proc.wait()
    for thread in (*readers, writer):
        thread.join(timeout=5)
    duration_ms = round((time.monotonic() - started) * 1000)
    output = redact(_excerpt(*readers), secrets)
    truncated = any(r.truncated for r in readers)
    if not exited:
        return RunResult(
            status="timeout",
            duration_ms=duration_ms,
            truncated=truncated,
            exit_code=proc.returncode,
            output=output,
            error=f"killed after {playbook.timeout:g} s (whole process group)",
        )
    code = proc.returncode
    return RunResult(
        status="success" if code == 0 else "failed",
        duration_ms=duration_ms,
        truncated=truncated,
        exit_code=code,
        output=output,
        error="" if code == 0 else _exit_reason(code),
    )


def _feed(stdin: IO[bytes], body: bytes) -> None:
    try:
        stdin.write(body)
        stdin.close()
    except (BrokenPipeError, OSError):
        pass  # the playbook need not read its input


def _wait_unreaped(pid: int, deadline: float) -> bool:
    """Wait for the main process to exit without reaping it, so its group id stays reserved
    until the group is killed. True if it exited before the deadline."""
    while time.monotonic() < deadline:
        if os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
            return True
        time.sleep(_POLL)
    return False


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


def _excerpt(stdout: _CappedReader, stderr: _CappedReader) -> str:
    text = stdout.data.decode("utf-8", "replace")
    if stdout.truncated:
        text += f"\n… [+{stdout.total - len(stdout.data)} bytes]"
    if stderr.total:
        text += "\n--- stderr ---\n" + stderr.data.decode("utf-8", "replace")
        if stderr.truncated:
            text += f"\n… [+{stderr.total - len(stderr.data)} bytes]"
    return text


def _exit_reason(code: int) -> str:
    if code < 0:
        return f"killed by signal {signal.Signals(-code).name}"
    return f"exit code {code}"

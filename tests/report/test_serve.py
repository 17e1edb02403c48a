"""`threatdesk serve` starts a real web server that answers on 127.0.0.1 only."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil

from tui.cli import build_parser
from tui.commands.serve import app_command

START_TIMEOUT_S = 20


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=2) as response:
        return response.status, response.read().decode("utf-8", "replace")


def _wait_for(url: str, process: subprocess.Popen) -> tuple[int, str]:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"serve exited with {process.returncode}")
        try:
            return _get(url)
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"serve did not answer on {url} within {START_TIMEOUT_S} s")


def test_serve_answers_http_on_loopback(tmp_path: Path) -> None:
    port = _free_port()
    db = tmp_path / "serve.db"
    process = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "--db", str(db), "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        status, body = _wait_for(f"http://127.0.0.1:{port}/", process)
        assert status == 200
        assert "threatdesk" in body and "/ws" in body
        listening = [c for c in _connections(process.pid) if c.laddr.port == port]
        assert listening and all(c.laddr.ip == "127.0.0.1" for c in listening)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _connections(pid: int) -> list:
    return [c for c in psutil.Process(pid).net_connections() if c.status == psutil.CONN_LISTEN]


def test_each_browser_session_runs_this_console_on_the_same_database(tmp_path: Path) -> None:
    args = build_parser().parse_args(["--db", str(tmp_path / "x y.db"), "--readonly", "serve"])
    command = app_command(args)
    assert command.startswith(f"{sys.executable} -m tui.cli --db ")
    assert f"'{tmp_path / 'x y.db'}'" in command and command.endswith("--readonly")

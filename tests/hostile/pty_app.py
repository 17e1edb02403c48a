"""Run the real `threatdesk` console in a pseudo-terminal and keep every byte it writes."""

from __future__ import annotations

import fcntl
import os
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

COLUMNS, LINES = 120, 40


class PtyApp:
    """`threatdesk --db DB` on a 120x40 xterm-256color pseudo-terminal."""

    def __init__(self, db: Path, home: Path) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(home),
            "USER": "analyst",
            "TERM": "xterm-256color",
            "COLUMNS": str(COLUMNS),
            "LINES": str(LINES),
            "XDG_CONFIG_HOME": str(home / "config"),
            "XDG_DATA_HOME": str(home / "data"),
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tui.cli", "--db", str(db)],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            cwd=Path(__file__).resolve().parents[2],
            start_new_session=True,  # the pty becomes its controlling terminal
            close_fds=True,
        )
        os.close(slave)
        self.master = master
        self.output = bytearray()

    def read_for(self, seconds: float) -> bool:
        """Collect output for `seconds` (the app keeps drawing in between); whether any came."""
        got = False
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([self.master], [], [], left)
            if not ready:
                continue
            try:
                chunk = os.read(self.master, 65536)
            except OSError:  # the app exited and the pty closed
                return got
            if not chunk:
                return got
            self.output += chunk
            got = True
        return got

    def wait_for(self, marker: bytes, since: int = 0, timeout: float = 20.0) -> None:
        """Read until `marker` appears in the output written after offset `since`."""
        deadline = time.monotonic() + timeout
        while marker not in self.output[since:]:
            if time.monotonic() > deadline or self.process.poll() is not None:
                tail = bytes(self.output[-2000:])
                raise AssertionError(f"no {marker!r} on screen; last output: {tail!r}")
            self.read_for(0.05)

    def send(self, *keys: str, until: bytes = b"", pause: float = 0.15) -> None:
        """Type keys as a terminal sends them; after the last, wait until the screen shows
        `until` (a blinking cursor never lets the output go quiet), then `pause` seconds."""
        start = len(self.output)
        for key in keys:
            os.write(self.master, key.encode())
            self.read_for(0.05)
        if until:
            self.wait_for(until, since=start)
        self.read_for(pause)

    def close(self) -> int:
        """Wait for the app to exit after `q` (kill it if it does not) and return its status."""
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.read_for(0.2)
        os.close(self.master)
        return self.process.returncode

"""A demo database built once per session; each test works on its own copy."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.faults.support import Demo, cli
from tui.ingest.demo import write_demo

BASE_ALERTS = 3000
MORE_ALERTS = 1000


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    root = tmp_path_factory.mktemp("faults")
    base = write_demo(root / "base", BASE_ALERTS, seed=7).alerts
    more = write_demo(root / "more", MORE_ALERTS, seed=8).alerts
    db = root / "base.db"
    cli(db, "import", str(base), check=True)
    return Demo(db=db, base=base, more=more)


@pytest.fixture
def db(demo: Demo, tmp_path: Path) -> Path:
    """A private copy of the demo database (closed cleanly, so it is one file)."""
    copy = tmp_path / "threatdesk.db"
    shutil.copy(demo.db, copy)
    return copy

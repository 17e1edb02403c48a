"""Shared fixtures: a fresh store per test and the real public samples."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.store import Store

ROOT = Path(__file__).resolve().parent.parent
# Real public alert samples, copied from shared/data/real with their SOURCES.md and licences.
REAL = ROOT / "tests" / "data" / "real"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "test.db")
    yield s
    s.close()


@pytest.fixture
def real_dir() -> Path:
    return REAL

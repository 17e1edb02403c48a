"""The report tests share one scenario database (knowledge base + incident), copied per test."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.report.scenario import Scenario, build
from tui.store import Store


@pytest.fixture(scope="session")
def scenario_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Scenario]:
    path = tmp_path_factory.mktemp("scenario") / "scenario.db"
    store = Store(path)
    scenario = build(store)
    store.close()  # the last connection checkpoints the WAL into the file
    return path, scenario


@pytest.fixture
def scenario(scenario_db: tuple[Path, Scenario]) -> Scenario:
    return scenario_db[1]


@pytest.fixture
def report_store(scenario_db: tuple[Path, Scenario], tmp_path: Path) -> Iterator[Store]:
    copy = tmp_path / "report.db"
    shutil.copyfile(scenario_db[0], copy)
    store = Store(copy)
    yield store
    store.close()

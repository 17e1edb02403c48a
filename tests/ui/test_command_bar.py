"""The `:` command language."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tui.model import Severity, Status
from tui.store.alert_list import ListFilter, Sort
from tui.ui.commands import (
    OPEN_STATUSES,
    AppAction,
    CommandError,
    Jump,
    describe,
    parse_command,
    with_window,
)

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def test_filters() -> None:
    f = parse_command(":sev high,medium", ListFilter())
    assert f.severities == {Severity.HIGH, Severity.MEDIUM}
    f = parse_command("status open", f)
    assert f.statuses == OPEN_STATUSES and f.severities  # earlier filters stay
    f = parse_command(":since 24h", f, NOW)
    assert f.since == "2026-11-27T12:00:00.000000Z"
    f = parse_command(":until 2026-11-01", f, NOW)
    assert f.until == "2026-11-01T00:00:00.000000Z"
    f = parse_command(":res web-01", parse_command(":incidents on", f))
    assert f.resource == "web-01" and f.incidents_only
    assert parse_command(":sort severity", f).sort is Sort.SEVERITY
    assert parse_command(":clear", f) == ListFilter()
    assert describe(f)[:2] == ["sev High,Medium", "open"]


def test_jumps_and_app_actions() -> None:
    assert parse_command(":inc 42", ListFilter()) == Jump("incident", 42)
    assert parse_command(":alert #7", ListFilter()) == Jump("alert", 7)
    assert parse_command(":q", ListFilter()) == AppAction("quit")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (":sev apocalyptic", "unknown severity"),
        (":status maybe", "unknown status"),
        (":since yesterday", "is not a time"),
        (":inc abc", "needs a number"),
        (":frobnicate", "unknown command"),
    ],
)
def test_errors_name_the_problem(line: str, message: str) -> None:
    with pytest.raises(CommandError, match=message):
        parse_command(line, ListFilter())


def test_window() -> None:
    assert with_window(ListFilter(), "7d", NOW).since == "2026-11-21T12:00:00.000000Z"
    assert with_window(ListFilter(since="x"), "", NOW).since == ""
    assert Status.ACTIVE in OPEN_STATUSES


def test_suppressed_rules_and_runs_commands() -> None:
    f = parse_command(":suppressed", ListFilter())
    assert f.suppressed and "dismissed by rules" in describe(f)
    assert parse_command(":rules", ListFilter()) == AppAction("rules")
    assert parse_command(":runs", ListFilter()) == AppAction("runs")

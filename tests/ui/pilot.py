"""Helpers for driving the app with Pilot."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from textual.pilot import Pilot

from tui.ui.alert_list import AlertList


async def until(pilot: Pilot, predicate: Callable[[], object], timeout: float = 5.0) -> None:
    """Let the app run until `predicate()` holds (workers post their results asynchronously)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {predicate.__doc__ or predicate}")
        await pilot.pause(0.02)
        await asyncio.sleep(0)


def alert_list(pilot: Pilot) -> AlertList:
    return pilot.app.screen.query_one(AlertList)


def visible_lines(pilot: Pilot) -> list[str]:
    """The list's rows as the analyst sees them (plain text)."""
    listing = alert_list(pilot)
    return [listing.render_line(y).text for y in range(listing.size.height)]


async def loaded(pilot: Pilot, rows: int) -> AlertList:
    """Wait until the list holds `rows` keys and the visible ones are drawn."""
    listing = alert_list(pilot)

    def ready() -> bool:
        shown = min(rows, listing.size.height)
        return len(listing.keys) == rows and all(
            listing.row(k) is not None for k in listing.keys[:shown]
        )

    ready.__doc__ = f"{rows} rows loaded"
    await until(pilot, ready)
    return listing

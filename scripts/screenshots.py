"""Regenerate the SVG screenshots of the alerts list, alert details and an incident from the
demo data.

    python scripts/screenshots.py [--alerts 3000] [--out screenshots]

Builds the demo database with `threatdesk demo` in a temporary folder, drives the app headless
with Textual's Pilot and saves what an analyst would see at 120x34.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
from pathlib import Path

from tui.store import Store
from tui.ui.alert_list import AlertList
from tui.ui.app import ThreatdeskApp

SIZE = (120, 34)


async def _until(pilot, predicate, timeout: float = 30) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise TimeoutError("the screen did not settle")
        await pilot.pause(0.05)


async def shoot(db: Path, out: Path) -> list[Path]:
    app = ThreatdeskApp(Store(db))
    saved = []
    async with app.run_test(size=SIZE) as pilot:
        listing = app.screen.query_one(AlertList)
        await _until(pilot, lambda: listing.keys and listing.current_row is not None)
        await _until(pilot, lambda: app.screen.counts is not None)
        first_incident = next((k for k in listing.keys[:200] if k < 0), None)
        if first_incident is not None:  # show one incident expanded in place
            listing.move_to(listing.keys.index(first_incident))
            await pilot.press("l")
            await _until(pilot, lambda: listing.children_keys)
            await pilot.pause(0.3)
            listing.move_to(listing.cursor + 1)
        await pilot.pause(0.3)
        saved.append(Path(app.save_screenshot("alerts-list.svg", str(out))))
        alert_row = next(i for i, k in enumerate(listing.keys) if k > 0)
        listing.move_to(alert_row)
        await pilot.press("enter")
        await _until(pilot, lambda: getattr(app.screen, "detail", None) is not None)
        await pilot.pause(0.3)
        saved.append(Path(app.save_screenshot("alert-details.svg", str(out))))
        if first_incident is not None:
            saved += await _incident_shots(app, pilot, -first_incident, out)
    return saved


async def _incident_shots(app, pilot, incident_id: int, out: Path) -> list[Path]:
    """The incident screen: its Alerts tab, then Take action on 'Prevent future attacks'."""
    app.open_incident(incident_id)
    await _until(pilot, lambda: getattr(app.screen, "loaded", None) is not None)
    await pilot.pause(0.3)
    saved = [Path(app.save_screenshot("incident-alerts.svg", str(out)))]
    await pilot.press("2", "j")
    await _until(pilot, lambda: app.screen.prevention is not None)
    await pilot.pause(0.3)
    saved.append(Path(app.save_screenshot("incident-take-action.svg", str(out))))
    return saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--alerts", type=int, default=3000)
    parser.add_argument("--out", type=Path, default=Path("screenshots"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "demo.db"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "tui.cli",
                "demo",
                "--db",
                str(db),
                "--no-open",
                "--alerts",
                str(args.alerts),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        for path in asyncio.run(shoot(db, args.out)):
            print(path)


if __name__ == "__main__":
    main()

"""The screens behind the keys that open another part's work: suppress (s), respond (t),
report (p) and opening an incident. The app registers these at start-up."""

from __future__ import annotations

from textual.app import App

# The screens are imported when their key is first pressed: the report stack alone (fpdf2,
# fontTools) costs 0.8 s of start-up, and the list must paint within 1 s.

Targets = list[tuple[str, int]]


def _one(app: App, targets: Targets, what: str) -> tuple[str, int] | None:
    if len(targets) == 1:
        return targets[0]
    app.notify(f"{what} works on one alert or incident: unmark the others", markup=False)
    return None


def open_incident(app: App, targets: Targets) -> None:
    app.open_incident(targets[0][1])


def suppress(app: App, targets: Targets) -> None:
    from tui.ui.suppress_form import SuppressScreen

    app.push_screen(
        SuppressScreen(
            app.store,
            [i for kind, i in targets if kind == "alert"],
            incident_ids=[i for kind, i in targets if kind == "incident"],
        )
    )


def trigger_response(app: App, targets: Targets) -> None:
    from tui.engine.playbooks.payload import Target as PlaybookTarget
    from tui.ui.playbook_picker import PlaybookPicker

    target = _one(app, targets, "A playbook run")
    if target is not None:
        app.push_screen(
            PlaybookPicker(app.store, app.config, PlaybookTarget(*target), readonly=app.readonly)
        )


def report(app: App, targets: Targets) -> None:
    from tui.report.model import Target as ReportTarget
    from tui.ui.report_dialog import request_report

    target = _one(app, targets, "A report")
    if target is not None:
        kind, ident = target
        label = f"INC-{ident}" if kind == "incident" else f"alert #{ident}"
        request_report(app, app.store, ReportTarget(kind, ident), label)


EXTENSIONS = {
    "open_incident": open_incident,
    "suppress": suppress,
    "trigger_response": trigger_response,
    "report": report,
}

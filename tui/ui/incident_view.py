"""The incident screen's panes as rich `Text`, built only from `display()`ed strings."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.text import Text

from tui.engine.remediation import ResourcePlan
from tui.intel.prevention import Prevention
from tui.model import KILL_CHAIN, Intent, Severity, display
from tui.model.clock import parse_iso
from tui.store.incident_detail import IncidentDetail
from tui.ui.detail_view import DetailText
from tui.ui.theme import SEVERITY_STYLE

SECTIONS = (
    ("mitigate", "Mitigate the threat"),
    ("prevent", "Prevent future attacks"),
    ("respond", "Trigger automated response"),
    ("suppress", "Suppress similar alerts"),
)


SHORT = {
    Severity.HIGH: "HIGH",
    Severity.MEDIUM: "MED",
    Severity.LOW: "LOW",
    Severity.INFORMATIONAL: "INFO",
}


def severity_badge(severity: str) -> Text:
    try:
        sev = Severity(severity)
    except ValueError:
        return Text(display(severity, 20))
    return Text(f" {SHORT[sev]:<4} ", style=SEVERITY_STYLE[sev])


def stage_label(intent: str) -> str:
    parsed = Intent.parse(intent)
    return parsed.label if parsed else display(intent, 40)


def when(iso_text: str) -> str:
    return iso_text[:16].replace("T", " ") if iso_text else ""


def info_pane(d: IncidentDetail) -> Text:
    f = d.fields
    out = DetailText()
    out.text.append(display(f["title"], 300), style="bold")
    out.text.append(f"\nINC-{f['id']}  ")
    out.text.append_text(severity_badge(f["severity"]))
    out.text.append("\n")
    out.heading("Status")
    out.field("Status", f["status"])
    out.field("Owner", f["owner"] or "unassigned")
    out.field("Classification", f["classification"])
    out.field("Closing comment", f["classification_comment"], multiline=True)
    out.heading("Activity time")
    out.field("First", when(f["first_activity_utc"]))
    out.field("Last", when(f["last_activity_utc"]))
    out.field("Alerts", f["alert_count"])
    out.field("Stages", " → ".join(stage_label(s) for s in f["stages"]))
    out.heading("Description")
    out.line(f["description"], multiline=True)
    out.heading("Affected resources")
    for resource in d.resources:
        _resource(out, resource)
    out.heading("Why these alerts are together")
    for reason in f["reasons"]:
        out.line(f"• {display(reason, 500)}")
    return out.text


def _resource(out: DetailText, r: dict[str, Any]) -> None:
    out.line(r["name"] or r["id"], style="bold")
    out.field("Type", r.get("type"), indent=2)
    out.field("Location", r.get("location"), indent=2)
    out.field("Resource group", r.get("resource_group"), indent=2)
    if not r["tags"]:
        out.line("no tags in the inventory", style="dim", indent=2)
    for key, value in sorted(r["tags"].items()):
        out.field(f"tag {key}", value, indent=2)


def timeline(d: IncidentDetail) -> Text:
    """Alerts stage by stage along the kill chain; each stage says when, after the incident's
    first alert, it was first seen (stages need not happen in kill-chain order)."""
    by_stage: dict[Intent, list[dict]] = {}
    for alert in d.alerts:
        first = next(filter(None, (Intent.parse(i) for i in alert["intent"].split(","))), None)
        by_stage.setdefault(first or Intent.UNKNOWN, []).append(alert)
    out = Text()
    began = d.alerts[0]["start_time_utc"] if d.alerts else ""
    for stage in KILL_CHAIN:
        alerts = by_stage.get(stage)
        if not alerts:
            continue
        offset = _gap(began, alerts[0]["start_time_utc"])
        out.append(f"▶ {stage.label}", style="bold")
        out.append(f"  first seen +{offset}\n", style="dim")
        for alert in alerts:
            out.append(f"  {when(alert['start_time_utc'])}  ")
            out.append_text(severity_badge(alert["severity"]))
            out.append(f" {display(alert['alert_display_name'], 120)}")
            if alert["compromised_entity"]:
                out.append(f" — {display(alert['compromised_entity'], 60)}", style="dim")
            out.append("\n")
    return out


def _gap(earlier: str, later: str) -> str:
    seconds = max(0, int((parse_iso(later) - parse_iso(earlier)).total_seconds()))
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def mitigate(plans: list[ResourcePlan]) -> Text:
    out = DetailText()
    if not plans:
        out.line("The incident's alerts carry no remediation steps.", style="dim")
    for plan in plans:
        out.heading(f"On {display(plan.resource, 120)}")
        for n, step in enumerate(plan.steps, 1):
            alerts = ", ".join(f"#{a}" for a in step.alert_ids[:5])
            out.line(f"{n}. {display(step.text, 2000, multiline=True)}")
            out.line(f"from alert {alerts}", style="dim", indent=3)
    return out.text


def prevent(found: Prevention | None, error: str = "") -> Text:
    out = DetailText()
    if found is None:
        out.line(error or "Loading ATT&CK mitigations…", style="red" if error else "dim")
        return out.text
    out.heading("Hardening for the resources this attack touched")
    if not found.hardening:
        out.line("none of the catalog's recommendations applies", style="dim")
    for rec in found.hardening:
        out.line(f"{rec.id}  {rec.title}", style="bold")
        out.line(rec.description, indent=2, multiline=True)
        out.line("why: " + "; ".join(display(w, 200) for w in rec.why[:4]), "dim", indent=2)
    out.heading("MITRE ATT&CK mitigations for the techniques seen")
    if not found.mitigations:
        out.line("no technique of this incident has an ATT&CK mitigation", style="dim")
    for m in found.mitigations:
        out.line(f"{m.id}  {m.name}", style="bold")
        out.line(f"mitigates {', '.join(m.techniques)}", style="dim", indent=2)
        out.line(_first_sentence(m.description), indent=2)
    return out.text


def _first_sentence(text: str, limit: int = 300) -> str:
    head = text.split(". ")[0].strip()
    return display(head if head.endswith(".") else head + ".", limit)


def respond(runs: Iterable[Any], can_trigger: bool) -> Text:
    out = DetailText()
    out.line("Run a playbook on this incident: its alerts and entities are sent as JSON.")
    out.line(
        "press t or enter to choose a playbook"
        if can_trigger
        else "no playbook is configured, or the console is read-only",
        style="bold" if can_trigger else "dim",
    )
    out.heading("Runs on this incident")
    shown = False
    for run in runs:
        shown = True
        out.line(
            f"{when(run.started_at)}  {display(run.playbook, 60)}  {run.status}"
            f"  by {display(run.actor, 40)}  ({run.trigger})"
        )
    if not shown:
        out.line("none yet", style="dim")
    return out.text


def suppress(d: IncidentDetail, can_suppress: bool) -> Text:
    out = DetailText()
    out.line(
        "Create a suppression rule from this incident's alerts: matching alerts, now and at"
        " every import, are dismissed with the rule's id (nothing is deleted)."
    )
    out.line(
        "press s or enter to open the rule form with its live simulation"
        if can_suppress
        else "read-only console: suppression is disabled",
        style="bold" if can_suppress else "dim",
    )
    out.heading("Alert types in this incident")
    for alert_type in dict.fromkeys(a["alert_type"] for a in d.alerts):
        out.line(f"• {display(alert_type, 120)}")
    return out.text


def activity(d: IncidentDetail) -> Text:
    out = DetailText()
    out.heading("Comments")
    if not d.comments:
        out.line("none yet (c adds one)", style="dim")
    for c in d.comments:
        out.line(f"{when(c['at'])}  {display(c['author'], 60)}", style="bold")
        out.line(c["body"], indent=2, multiline=True)
    out.heading("Activity log")
    for row in d.activity[:300]:
        target = "" if row["target_type"] == "incident" else f" alert #{row['target_id']}"
        out.line(
            f"{when(row['at'])}  {display(row['actor'], 40)}  {display(row['action'], 40)}"
            f"{target}  {_change(row['before'], row['after'])}"
        )
    return out.text


def _change(before: Any, after: Any) -> str:
    if isinstance(after, dict):
        old = before if isinstance(before, dict) else {}
        parts = [
            f"{k}: {display(old.get(k, ''), 40)} → {display(v, 80)}"
            if k in old
            else f"{k}: {display(v, 80)}"
            for k, v in after.items()
        ]
        return "; ".join(parts)
    return display(after, 120) if after is not None else ""

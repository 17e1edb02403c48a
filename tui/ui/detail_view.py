"""The alert details as rich `Text`: built only from `display()`ed strings, never from markup."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.text import Text

from tui.model import EntityType, Intent, Severity, display
from tui.store.alert_detail import AlertDetail, EntityView
from tui.ui.theme import SEVERITY_STYLE

ENTITY_HEADINGS = {
    EntityType.HOST.value: "Hosts",
    EntityType.ACCOUNT.value: "Accounts",
    EntityType.IP.value: "IP addresses",
    EntityType.PROCESS.value: "Processes",
    EntityType.FILE.value: "Files",
    EntityType.FILE_HASH.value: "File hashes",
    EntityType.URL.value: "URLs",
    EntityType.DNS.value: "Domains",
    EntityType.AZURE_RESOURCE.value: "Azure resources",
}
LABEL = "bold"
MAX_VALUE = 4000  # per field: a 1 MB command line must not stall the screen


def _flatten(data: Any, prefix: str = "", depth: int = 0) -> Iterable[tuple[str, Any]]:
    """Nested entity data as (dotted key, scalar) pairs, two levels deep."""
    if isinstance(data, dict) and depth < 3:
        for key, value in data.items():
            yield from _flatten(value, f"{prefix}{key}." if depth < 2 else prefix, depth + 1)
    elif isinstance(data, list) and depth < 3:
        for i, value in enumerate(data[:20]):
            yield from _flatten(value, f"{prefix}{i}.", depth + 1)
    elif data not in (None, "", [], {}):
        yield prefix.rstrip("."), data


class DetailText:
    """Accumulates sections into one Text."""

    def __init__(self) -> None:
        self.text = Text()

    def heading(self, title: str) -> None:
        if self.text:
            self.text.append("\n")
        self.text.append(f"{title}\n", style="bold underline")

    def field(self, label: str, value: object, *, multiline: bool = False, indent: int = 0) -> None:
        if value in (None, "", [], {}):
            return
        self.text.append(" " * indent)
        self.text.append(f"{display(label, 80)}: ", style=LABEL)
        self.text.append(display(value, MAX_VALUE, multiline=multiline))
        self.text.append("\n")

    def line(
        self, value: object, style: str = "", indent: int = 0, *, multiline: bool = False
    ) -> None:
        self.text.append(" " * indent)
        self.text.append(display(value, MAX_VALUE, multiline=multiline), style=style)
        self.text.append("\n")


def render_detail(d: AlertDetail) -> Text:
    f = d.fields
    out = DetailText()
    out.text.append(f" {f['severity'].upper()} ", style=SEVERITY_STYLE[Severity(f["severity"])])
    out.text.append(" ")
    out.text.append(display(f["alert_display_name"], 500), style="bold")
    out.text.append("\n")
    out.field("Status", f["status"])
    out.field("Owner", f["owner"] or "unassigned")
    out.field("Classification", f["classification"])
    out.field("Classification comment", f["classification_comment"], multiline=True)
    out.field("Start", f["start_time_utc"])
    out.field("End", f["end_time_utc"])
    out.field("Generated", f["time_generated_utc"])
    out.field("Imported", f["imported_at"])
    out.field("Alert type", f["alert_type"])
    out.field("Product", " / ".join(p for p in (f["vendor_name"], f["product_name"]) if p))
    out.field("Component", f["product_component_name"])
    out.field("Source", f"{f['source_format']} {f['source_id']}")
    out.field("Simulated", "yes" if f["is_simulated"] else "")

    out.heading("Description")
    out.line(f["description"] or "(none)", multiline=True)

    _resource(out, d)
    _entities(out, d.entities)
    _mitre(out, f, d.techniques)

    steps = f["remediation_steps"]
    if steps:
        out.heading("Remediation steps")
        for i, step in enumerate(steps if isinstance(steps, list) else [steps], 1):
            out.field(str(i), step, multiline=True)

    props = f["extended_properties"]
    if props:
        out.heading("Extended properties")
        for key, value in _flatten(props) if isinstance(props, dict) else [("value", props)]:
            out.field(key, value, indent=2)

    links = [*(f["extended_links"] or []), *([f["alert_uri"]] if f["alert_uri"] else [])]
    if links:
        out.heading("Links (not clickable: copy to a browser you trust)")
        for key, value in _flatten(links):
            out.field(key, value, indent=2)

    out.heading("Incident")
    if d.incident:
        i = d.incident
        out.line(f"INC-{i['id']} {display(i['title'], 300)}", style="bold")
        out.field("Severity / status", f"{i['severity']} / {i['status']}", indent=2)
        out.field("Alerts", i["alert_count"], indent=2)
        out.field("Why grouped", i["reason"], indent=2)
    else:
        out.line("Not part of an incident")

    out.heading(f"Related alerts sharing an entity ({len(d.related)})")
    for r in d.related:
        out.line(
            f"#{r.id} {r.time[:16].replace('T', ' ')} {r.severity:<13} {r.status:<10} "
            f"{display(r.title, 200)}  [via {display(r.shared, 120)}]",
            indent=2,
        )
    if d.comments:
        out.heading("Comments")
        for c in d.comments:
            out.field(f"{c['at'][:16].replace('T', ' ')} {c['author']}", c["body"], multiline=True)

    out.heading("Threat intelligence report (p)")
    out.line("Press p to build the threat-intelligence PDF for this alert.")
    return out.text


def _resource(out: DetailText, d: AlertDetail) -> None:
    f = d.fields
    out.heading("Affected resource")
    out.field("Resource id", f["resource_id"])
    out.field("Compromised entity", f["compromised_entity"])
    r = d.resource
    if r:
        out.field("Name", r["name"])
        out.field("Type", r["type"])
        out.field("Location", r["location"])
        out.field("Resource group", r["resource_group"])
        out.field("Subscription", r["subscription_id"])
        tags = r["tags"] if isinstance(r["tags"], dict) else {}
        out.field("Tags", ", ".join(f"{k}={v}" for k, v in tags.items()))
    elif not f["resource_id"] and not f["compromised_entity"]:
        out.line("(none recorded)")


def _entities(out: DetailText, entities: list[EntityView]) -> None:
    out.heading(f"Entities ({len(entities)})")
    groups: dict[str, list[EntityView]] = {}
    for e in entities:
        groups.setdefault(e.type, []).append(e)
    for etype, members in groups.items():
        out.line(ENTITY_HEADINGS.get(etype, etype.capitalize()), style="bold", indent=2)
        for e in members:
            out.line(e.display, indent=4)
            for key, value in _flatten(e.data):
                out.field(key, value, indent=6)


def _mitre(out: DetailText, f: dict[str, Any], techniques: list[str]) -> None:
    out.heading("MITRE ATT&CK")
    tactics = [Intent.parse(i) for i in f["intent"].split(",") if i]
    out.field("Tactics", ", ".join(t.label for t in tactics if t))
    out.field("Techniques", ", ".join(techniques))

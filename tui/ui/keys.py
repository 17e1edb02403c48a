"""The key registry: every binding has an id (remappable from the `[keys]` config table), a
default key, a description for help and the palette, and whether it changes data.

Help (`?`), the command palette and read-only mode are all built from this one table, so a key
can never be shown in one place and missing from another (k9s' help.go, posting's bindings).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True)
class Key:
    id: str
    keys: str
    action: str
    description: str
    show: bool = True
    changes_data: bool = False
    # Shown in the command palette: actions worth finding by name, not cursor movement.
    palette: bool = True


APP_KEYS = (
    Key("app.help", "question_mark", "help", "Help"),
    Key("app.quit", "q", "quit", "Quit", palette=False),
)

LIST_KEYS = (
    Key("list.down", "j,down", "cursor_down", "Down", show=False, palette=False),
    Key("list.up", "k,up", "cursor_up", "Up", show=False, palette=False),
    Key("list.top", "g,home", "cursor_top", "First row", show=False),
    Key("list.bottom", "G,end", "cursor_bottom", "Last row", show=False),
    Key("list.page_down", "pagedown,ctrl+f", "page_down", "Page down", show=False, palette=False),
    Key("list.page_up", "pageup,ctrl+b", "page_up", "Page up", show=False, palette=False),
    Key("list.open", "enter", "open", "Open"),
    Key("list.expand", "l,right", "expand", "Expand incident", show=False),
    Key("list.collapse", "h,left", "collapse", "Collapse incident", show=False),
    Key("list.mark", "space", "mark", "Mark row", show=False, palette=False),
    Key("list.search", "slash", "search", "Search"),
    Key("list.command", "colon", "command", "Command", show=False),
    Key("list.clear", "escape", "clear", "Clear filters", show=False),
    Key("list.sev_high", "1", "severity_floor(3)", "Severity: High only", show=False),
    Key("list.sev_medium", "2", "severity_floor(2)", "Severity: Medium and above", show=False),
    Key("list.sev_low", "3", "severity_floor(1)", "Severity: Low and above", show=False),
    Key("list.sev_all", "0", "severity_floor(0)", "Severity: all", show=False),
    Key("list.open_only", "u", "toggle_open_only", "Unresolved only", show=False),
    Key("list.incidents_only", "i", "toggle_incidents_only", "Incidents only", show=False),
    Key("list.window", "w", "cycle_window", "Time window (24h/7d/30d/all)", show=False),
    Key("list.sort", "o", "toggle_sort", "Sort by time / severity", show=False),
)

TRIAGE_KEYS = (
    Key("triage.status", "e", "status", "Status", changes_data=True),
    Key("triage.assign", "a", "assign_me", "Assign me", changes_data=True),
    Key("triage.comment", "c", "comment", "Comment", changes_data=True),
    Key("triage.suppress", "s", "suppress", "Suppress", changes_data=True),
    Key("triage.respond", "t", "trigger_response", "Respond", changes_data=True),
    Key("triage.report", "p", "report", "TI report"),
)

DETAIL_KEYS = (
    Key("detail.back", "escape", "back", "Back"),
    Key("detail.down", "j,down", "scroll_down", "Down", show=False, palette=False),
    Key("detail.up", "k,up", "scroll_up", "Up", show=False, palette=False),
    Key("detail.page_down", "pagedown,space", "page_down", "Page down", show=False, palette=False),
    Key("detail.page_up", "pageup", "page_up", "Page up", show=False, palette=False),
)

INCIDENT_KEYS = (
    Key("incident.back", "escape", "back", "Back"),
    Key("incident.alerts", "1", "tab(0)", "Alerts tab", show=False),
    Key("incident.take_action", "2", "tab(1)", "Take action tab", show=False),
    Key("incident.timeline", "3", "tab(2)", "Timeline tab", show=False),
    Key("incident.activity", "4", "tab(3)", "Activity tab", show=False),
    Key("incident.down", "j", "cursor(1)", "Down", show=False, palette=False),
    Key("incident.up", "k", "cursor(-1)", "Up", show=False, palette=False),
    Key("incident.open", "enter", "open", "Open alert", show=False),
    Key("incident.mark", "space", "mark", "Mark alert", show=False, palette=False),
    Key("incident.pivot", "v", "pivot", "Pivot on entity"),
    Key("incident.assign_to", "A", "assign_to", "Assign to…", show=False, changes_data=True),
    Key("incident.remove", "x", "remove_alert", "Remove alert", show=False, changes_data=True),
    Key("incident.move", "m", "move_alert", "Move alert to…", show=False, changes_data=True),
    Key("incident.merge", "M", "merge", "Merge incident…", show=False, changes_data=True),
    Key("incident.split", "S", "split", "Split alerts off", show=False, changes_data=True),
)

ALL_KEYS = (*APP_KEYS, *LIST_KEYS, *TRIAGE_KEYS, *DETAIL_KEYS, *INCIDENT_KEYS)
DATA_CHANGING_ACTIONS = frozenset(k.action for k in ALL_KEYS if k.changes_data)
_BY_ID = {k.id: k for k in ALL_KEYS}


def bindings(keys: tuple[Key, ...]) -> list[Binding]:
    return [
        Binding(k.keys, k.action, k.description, show=k.show, id=k.id, tooltip=k.description)
        for k in keys
    ]


class KeymapError(ValueError):
    pass


def keymap_from_config(section: Mapping[str, object]) -> dict[str, str]:
    """Validate the `[keys]` table: `"triage.status" = "E"`; unknown ids are an error."""
    keymap: dict[str, str] = {}
    for binding_id, keys in section.items():
        if binding_id not in _BY_ID:
            raise KeymapError(f"[keys] {binding_id!r} is not a binding id (see `?` for the ids)")
        if not isinstance(keys, str) or not keys.strip():
            raise KeymapError(
                f"[keys] {binding_id!r} must be a non-empty string such as 'x,ctrl+x'"
            )
        keymap[binding_id] = keys
    return keymap


SCREENS = (
    ("Everywhere", APP_KEYS),
    ("Alerts list", LIST_KEYS),
    ("Triage (list, alert details, incident)", TRIAGE_KEYS),
    ("Alert details", DETAIL_KEYS),
    ("Incident", INCIDENT_KEYS),
)


_KEY_NAMES = {"question_mark": "?", "slash": "/", "colon": ":", "escape": "esc"}


def markdown_keymap() -> str:
    """The keyboard map for the README, generated from the registry so it never drifts."""
    lines = []
    for title, keys in SCREENS:
        lines += [f"**{title}**", "", "| keys | action | binding id |", "|---|---|---|"]
        for k in keys:
            shown = ", ".join(f"`{_KEY_NAMES.get(key, key)}`" for key in k.keys.split(","))
            lines.append(f"| {shown} | {k.description} | `{k.id}` |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"

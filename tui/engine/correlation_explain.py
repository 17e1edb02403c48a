"""Readable explanations: why each alert joined its incident, and why the incident exists."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from tui.engine.correlation_links import PINNED, Linker, LinkKind
from tui.model import display

_MAX_REASONS = 6
EntityLabel = Callable[[int], str]


def gap_text(seconds: int) -> str:
    seconds = abs(int(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def key_text(kind: LinkKind, ref: object, label: EntityLabel) -> str:
    if kind is LinkKind.ENTITY:
        return label(int(ref))  # type: ignore[arg-type]
    if kind is LinkKind.CORRELATION_KEY:
        return f"correlation key {display(ref, 80)}"
    if kind is LinkKind.SOURCE_INCIDENT:
        return f"source incident {display(ref, 80)}"
    return f"alert type {display(ref, 80)} on several resources"


class Explainer:
    """Turns the linker's first-link-per-alert records into text, for alert ids."""

    def __init__(self, linker: Linker, alert_id: Callable[[int], int], label: EntityLabel):
        self.linker = linker
        self.alert_id = alert_id
        self.label = label

    def alert_reason(self, i: int, pinned_by: dict[int, str]) -> str:
        linker = self.linker
        if linker.scope.state[i] == PINNED:
            return f"Placed in this incident by {display(pinned_by.get(i, 'an analyst'), 80)}"
        code = linker.reason_key[i]
        if not code:
            return "Related to alerts an analyst placed in this incident"
        kind, ref = linker.keys[code]
        partner = linker.reason_partner[i]
        what = key_text(kind, ref, self.label)
        shares = kind is LinkKind.ENTITY
        if partner < 0:
            other = "alerts an analyst placed in this incident"
            return f"Shares {what} with {other}" if shares else f"Same {what} as {other}"
        other = f"alert {self.alert_id(partner)}"
        gap = gap_text(linker.scope.time[i] - linker.scope.time[partner])
        if shares:
            return f"Shares {what} with {other} ({gap} apart)"
        return f"Same {what} as {other} ({gap} apart)"

    def incident_reasons(self, members: list[int]) -> list[str]:
        linker = self.linker
        codes = Counter(linker.reason_key[i] for i in members if linker.reason_key[i])
        out = []
        for code, n in codes.most_common(_MAX_REASONS):
            kind, ref = linker.keys[code]
            out.append(f"{n} alerts linked by {key_text(kind, ref, self.label)}")
        gaps = [
            abs(linker.scope.time[i] - linker.scope.time[linker.reason_partner[i]])
            for i in members
            if linker.reason_key[i] and linker.reason_partner[i] >= 0
        ]
        if gaps:
            out.append(f"Largest time gap between linked alerts: {gap_text(max(gaps))}")
        pinned = sum(1 for i in members if linker.scope.state[i] == PINNED)
        if pinned:
            out.append(f"{pinned} alerts placed by analysts")
        return out

"""Links to ATT&CK pages: the only links a report makes (trusted origin, composed from ids)."""

from __future__ import annotations

import re

from tui.report.model import Cell, Link

_ID = re.compile(r"([TGSMC])(\d{4})(?:\.(\d{3}))?")
_PATHS = {"T": "techniques", "G": "groups", "S": "software", "M": "mitigations", "C": "campaigns"}


def attack_url(object_id: str) -> str | None:
    """The ATT&CK page of a technique/group/software/mitigation/campaign id, else None."""
    match = _ID.fullmatch(object_id)
    if not match:
        return None
    kind, number, sub = match.groups()
    if kind == "C" and not number.startswith("0"):
        return None  # C1xxx+ ids come from other catalogues (Tidal), not ATT&CK
    tail = f"{kind}{number}/{sub}/" if sub else f"{kind}{number}/"
    return f"https://attack.mitre.org/{_PATHS[kind]}/{tail}"


def attack_cell(object_id: str) -> Cell:
    """A table cell for an ATT&CK id: a link to its page when the id is well-formed."""
    url = attack_url(object_id)
    return Link(object_id, url) if url else object_id

"""The content of a threat-intelligence report, independent of how it is rendered.

Every string in here is already displayable (made visible and bounded by the builder); the
renderer prints it as plain text. Only `Link` carries a URL, and the builder creates links only
for ATT&CK pages it composes itself, never from alert or intelligence data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class ReportType(StrEnum):
    ACTIVITY_GROUP = "activity-group"
    CAMPAIGN = "campaign"
    SUMMARY = "summary"

    @property
    def label(self) -> str:
        return {
            ReportType.ACTIVITY_GROUP: "Activity Group Report",
            ReportType.CAMPAIGN: "Campaign Report",
            ReportType.SUMMARY: "Threat Summary Report",
        }[self]


class Tlp(StrEnum):
    """Traffic Light Protocol 2.0 markings."""

    CLEAR = "CLEAR"
    GREEN = "GREEN"
    AMBER = "AMBER"
    RED = "RED"

    @classmethod
    def parse(cls, value: str) -> Tlp:
        key = value.strip().upper().removeprefix("TLP:").removeprefix("TLP-")
        key = "CLEAR" if key == "WHITE" else key
        try:
            return cls(key)
        except ValueError:
            raise ValueError(f"unknown TLP {value!r}: use clear, green, amber or red") from None

    @property
    def marking(self) -> str:
        return f"TLP:{self.value}"

    @property
    def meaning(self) -> str:
        return _TLP_MEANING[self]


_TLP_MEANING = {
    Tlp.CLEAR: "Disclosure is not limited.",
    Tlp.GREEN: "Limited disclosure: the recipient's community, not public channels.",
    Tlp.AMBER: "Limited disclosure: the recipient's organisation and its clients, need-to-know.",
    Tlp.RED: "For the eyes and ears of individual recipients only, no further disclosure.",
}


@dataclass(frozen=True, slots=True)
class Link:
    """A cell or line that links to a trusted http(s) page (an ATT&CK page)."""

    text: str
    url: str


Cell = str | Link


@dataclass(slots=True)
class Paragraph:
    text: str
    note: bool = False  # a remark in a quieter style ("no attribution", "none seen")


@dataclass(slots=True)
class Facts:
    """Label/value pairs, e.g. aliases, sponsor, first seen."""

    rows: list[tuple[str, Cell]]


@dataclass(slots=True)
class Bullets:
    items: list[str]


@dataclass(slots=True)
class Table:
    headers: list[str]
    rows: list[list[Cell]]
    widths: list[float]  # relative column widths
    mono: tuple[int, ...] = ()  # columns printed in a monospaced font (indicators, ids)


Block = Paragraph | Facts | Bullets | Table


@dataclass(slots=True)
class Section:
    title: str
    blocks: list[Block] = field(default_factory=list)
    level: int = 0


@dataclass(frozen=True, slots=True)
class Target:
    """What a report is made for: an incident or a single alert."""

    kind: str  # "incident" | "alert"
    id: int

    def __post_init__(self) -> None:
        if self.kind not in ("incident", "alert"):
            raise ValueError(f"a report is made for an incident or an alert, not {self.kind!r}")


@dataclass(slots=True)
class Subject:
    """The incident or alert the report was made for."""

    kind: str  # "incident" | "alert"
    id: int
    title: str
    severity: str
    status: str
    first_seen: str
    last_seen: str
    alert_count: int

    @property
    def label(self) -> str:
        return f"{self.kind.capitalize()} #{self.id}: {self.title}"


@dataclass(slots=True)
class Report:
    type: ReportType
    title: str
    tlp: Tlp
    date: datetime
    analyst: str
    subject: Subject
    kb_version: str
    assessment: str = ""  # one line for the cover: who is behind it, or "no attribution"
    sections: list[Section] = field(default_factory=list)

    def section(self, title: str) -> Section:
        for section in self.sections:
            if section.title == title:
                return section
        raise KeyError(title)

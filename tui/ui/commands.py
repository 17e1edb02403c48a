"""The `:` command bar language and the filter summary the header shows.

Pure functions over `ListFilter`, so they are tested without a terminal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from tui.model import Severity, Status
from tui.model.clock import iso
from tui.store.alert_list import ListFilter, Sort

# Shown by `?` help.
USAGE = """\
  :sev high,medium   :status active|open   :since 24h   :until 2026-11-01   :res web-01
  :type VM_Mimikatz  :product Defender  :incidents on|off  :sort time|severity  :clear
  :inc 42 (go to an incident)   :alert 1234 (open an alert)   :help   :q"""


class CommandError(ValueError):
    pass


@dataclass(frozen=True)
class Jump:
    """Go to a record: ("incident", 42) or ("alert", 1234)."""

    kind: str
    id: int


@dataclass(frozen=True)
class AppAction:
    name: str  # "quit" | "help" | "rules" | "runs"


Outcome = ListFilter | Jump | AppAction

# Time windows the `w` quick key cycles through.
WINDOWS: tuple[str, ...] = ("", "24h", "7d", "30d")
_DURATION = re.compile(r"^(\d+)([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
OPEN_STATUSES = frozenset({Status.ACTIVE, Status.IN_PROGRESS})


def parse_time(text: str, now: datetime) -> str:
    """'24h', '7d', '90m', '2w' (ago) or an ISO date/time -> ISO UTC text; '' clears."""
    text = text.strip()
    if not text:
        return ""
    match = _DURATION.match(text.lower())
    if match:
        return iso(now - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))}))
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise CommandError(f"{text!r} is not a time: use 24h, 7d or 2026-11-01") from exc
    return iso(when if when.tzinfo else when.replace(tzinfo=UTC))


def _severities(arg: str) -> frozenset[Severity]:
    if arg.lower() in ("", "all", "any"):
        return frozenset()
    try:
        return frozenset(Severity.parse(p) for p in re.split(r"[,\s]+", arg) if p)
    except ValueError as exc:
        raise CommandError(f"{exc}: use high, medium, low, informational or all") from exc


def _statuses(arg: str) -> frozenset[Status]:
    key = arg.lower()
    if key in ("", "all", "any"):
        return frozenset()
    if key in ("open", "unresolved"):
        return OPEN_STATUSES
    try:
        return frozenset(Status.parse(p) for p in re.split(r"[,\s]+", arg) if p)
    except ValueError as exc:
        raise CommandError(f"{exc}: use active, inprogress, resolved, dismissed or open") from exc


def _number(arg: str, what: str) -> int:
    if not arg.strip().lstrip("#").isdigit():
        raise CommandError(f"{what} needs a number, e.g. :{what} 42")
    return int(arg.strip().lstrip("#"))


def _switch(arg: str) -> bool:
    if arg.lower() in ("", "on", "yes", "true", "1"):
        return True
    if arg.lower() in ("off", "no", "false", "0"):
        return False
    raise CommandError(f"{arg!r}: use on or off")


def parse_command(text: str, current: ListFilter, now: datetime | None = None) -> Outcome:
    """Apply one command-bar line to the current filter, or name a jump or an app action."""
    now = now or datetime.now(UTC)
    name, _, arg = text.strip().lstrip(":").partition(" ")
    name, arg = name.lower(), arg.strip()
    match name:
        case "q" | "quit":
            return AppAction("quit")
        case "help" | "h" | "?":
            return AppAction("help")
        case "sev" | "severity":
            return replace(current, severities=_severities(arg))
        case "status" | "st":
            return replace(current, statuses=_statuses(arg))
        case "since" | "from":
            return replace(current, since=parse_time(arg, now))
        case "until" | "to":
            return replace(current, until=parse_time(arg, now))
        case "res" | "resource":
            return replace(current, resource=arg)
        case "type":
            return replace(current, alert_type=arg)
        case "product":
            return replace(current, product=arg)
        case "incidents":
            return replace(current, incidents_only=_switch(arg))
        case "suppressed":
            return replace(current, suppressed=_switch(arg))
        case "rules":
            return AppAction("rules")
        case "runs":
            return AppAction("runs")
        case "sort":
            try:
                return replace(current, sort=Sort(arg.lower() or "time"))
            except ValueError as exc:
                raise CommandError("sort by time or severity") from exc
        case "clear":
            return ListFilter(sort=current.sort)
        case "inc" | "incident":
            return Jump("incident", _number(arg, "inc"))
        case "alert":
            return Jump("alert", _number(arg, "alert"))
        case "":
            raise CommandError("type a command, e.g. :sev high (see :help)")
    raise CommandError(
        f"unknown command {name!r}: try sev, status, since, res, inc, suppressed, rules, runs, q"
    )


def with_window(f: ListFilter, window: str, now: datetime | None = None) -> ListFilter:
    """The filter limited to the last `window` (one of WINDOWS; '' = all time)."""
    return replace(f, since=parse_time(window, now or datetime.now(UTC)), until="")


def describe(f: ListFilter) -> list[str]:
    """The active filter as short phrases for the header ('sev High', 'last 24h' ...)."""
    parts: list[str] = []
    if f.severities:
        names = sorted(f.severities, key=lambda s: -s.rank)
        parts.append("sev " + ",".join(s.value for s in names))
    if f.statuses:
        parts.append(
            "open" if f.statuses == OPEN_STATUSES else "status " + ",".join(sorted(f.statuses))
        )
    if f.since:
        parts.append(f"since {f.since[:16].replace('T', ' ')}")
    if f.until:
        parts.append(f"until {f.until[:16].replace('T', ' ')}")
    if f.resource:
        parts.append(f"res {f.resource}")
    if f.alert_type:
        parts.append(f"type {f.alert_type}")
    if f.product:
        parts.append(f"product {f.product}")
    if f.incidents_only:
        parts.append("incidents only")
    if f.suppressed:
        parts.append("dismissed by rules")
    if f.sort is Sort.SEVERITY:
        parts.append("by severity")
    return parts

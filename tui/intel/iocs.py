"""An incident's indicators of compromise, exported as a STIX 2.1 bundle or as CSV.

Indicators come from the alerts' entities (IPs, domains, URLs, file hashes). Placeholders never
reach the store as entities; private, loopback, link-local and other non-public addresses are
kept in the CSV with a note and left out of the STIX bundle, which is meant for sharing.
"""

from __future__ import annotations

import csv
import io
import ipaddress
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

from tui.model import EntityType
from tui.model.clock import utcnow
from tui.store import Store, StoreError
from tui.store import intel as db

# A fixed namespace makes indicator ids stable: re-exporting an incident gives the same ids.
_NAMESPACE = uuid.UUID("7d3c8f5e-2b1a-4c9d-8e6f-0a1b2c3d4e5f")
_HASH_ALGORITHMS = {32: "MD5", 40: "SHA-1", 64: "SHA-256", 128: "SHA-512"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CSV_COLUMNS = ("type", "value", "hash_algorithm", "first_seen", "last_seen", "alert_ids", "note")


@dataclass(frozen=True, slots=True)
class Ioc:
    type: str  # STIX object type: ipv4-addr | ipv6-addr | domain-name | url | file
    value: str
    hash_algorithm: str  # for files: MD5, SHA-1, SHA-256, SHA-512
    first_seen: str
    last_seen: str
    alert_ids: tuple[int, ...]
    note: str  # why it is not shared ('' when it is)

    @property
    def shareable(self) -> bool:
        return not self.note

    def pattern(self) -> str:
        literal = "'" + self.value.replace("\\", "\\\\").replace("'", "\\'") + "'"
        if self.type == "file":
            return f"[file:hashes.'{self.hash_algorithm}' = {literal}]"
        return f"[{self.type}:value = {literal}]"


def incident_iocs(store: Store, incident_id: int) -> list[Ioc]:
    """The incident's indicators, one per value, with when and in which alerts they were seen."""
    if not db.incident_exists(store.conn, incident_id):
        raise StoreError(f"incident {incident_id}: no such incident")
    evidence = db.alert_evidence(store.conn, db.incident_alert_ids(store.conn, incident_id))
    seen: dict[tuple[str, str], list[int]] = {}
    for alert_id, kind, key, _display in evidence.entities:
        typed = entity_indicator(kind, key)
        if typed:
            seen.setdefault(typed, []).append(alert_id)
    iocs = []
    for (ioc_type, value), alert_ids in seen.items():
        times = sorted(evidence.first_seen[a] for a in alert_ids)
        algorithm, note = _classify(ioc_type, value)
        ids = tuple(sorted(set(alert_ids)))
        iocs.append(Ioc(ioc_type, value, algorithm, times[0], times[-1], ids, note))
    return sorted(iocs, key=lambda i: (i.type, i.value))


def entity_indicator(kind: str, key: str) -> tuple[str, str] | None:
    """(STIX observable type, value) of an alert entity that is an indicator, else None."""
    if kind == EntityType.IP:
        version = ipaddress.ip_address(key).version
        return ("ipv4-addr" if version == 4 else "ipv6-addr", key)
    if kind == EntityType.DNS:
        return ("domain-name", key.rstrip("."))
    if kind == EntityType.URL:
        return ("url", key)
    if kind == EntityType.FILE_HASH:
        return ("file", key.lower())
    return None


def _classify(ioc_type: str, value: str) -> tuple[str, str]:
    """(hash algorithm, note) for one indicator."""
    if ioc_type == "file":
        algorithm = _HASH_ALGORITHMS.get(len(value), "")
        hexadecimal = all(c in "0123456789abcdef" for c in value)
        return (algorithm, "" if algorithm and hexadecimal else "not a recognised hash")
    if ioc_type in ("ipv4-addr", "ipv6-addr"):
        return ("", _address_note(value))
    if ioc_type == "url":
        host = url_host(value)
        if not host:
            return ("", "URL without a host")
        return ("", _host_note(host))
    return ("", _host_note(value))


def url_host(url: str) -> str:
    """The host of a URL, or '' when it has none or cannot be parsed (attacker-written)."""
    try:
        return (urlsplit(url).hostname or "").rstrip(".")
    except ValueError:
        return ""


def _host_note(host: str) -> str:
    try:
        return _address_note(host)
    except ValueError:
        pass
    if "." not in host.strip("."):
        return "single-label host name (internal)"
    return ""


def _address_note(value: str) -> str:
    ip = ipaddress.ip_address(value)
    if ip.is_loopback:
        return "loopback address"
    if ip.is_private:
        return "private address"
    if ip.is_link_local or ip.is_multicast or ip.is_reserved or ip.is_unspecified:
        return "non-routable address"
    return ""


def stix_bundle(
    iocs: list[Ioc], *, incident_id: int, title: str, now: str | None = None, malicious: bool
) -> dict:
    """A STIX 2.1 bundle of the shareable indicators, grouped under the incident."""
    created = _stix_time(now or utcnow())
    indicators = [_indicator(ioc, incident_id, created, malicious) for ioc in iocs if ioc.shareable]
    objects: list[dict] = list(indicators)
    if indicators:
        objects.append(
            {
                "type": "grouping",
                "spec_version": "2.1",
                "id": f"grouping--{uuid.uuid5(_NAMESPACE, f'incident:{incident_id}')}",
                "created": created,
                "modified": created,
                "name": f"threatdesk incident {incident_id}: {title}",
                "context": "suspicious-activity",
                "object_refs": [i["id"] for i in indicators],
            }
        )
    bundle_id = uuid.uuid5(_NAMESPACE, f"bundle:{incident_id}:{created}")
    return {"type": "bundle", "id": f"bundle--{bundle_id}", "objects": objects}


def _indicator(ioc: Ioc, incident_id: int, created: str, malicious: bool) -> dict:
    key = f"incident:{incident_id}:{ioc.type}:{ioc.hash_algorithm}:{ioc.value}"
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--{uuid.uuid5(_NAMESPACE, key)}",
        "created": created,
        "modified": created,
        "name": f"{ioc.type} seen in threatdesk incident {incident_id}",
        "indicator_types": ["malicious-activity" if malicious else "anomalous-activity"],
        "pattern": ioc.pattern(),
        "pattern_type": "stix",
        "pattern_version": "2.1",
        "valid_from": _stix_time(ioc.first_seen),
    }


def _stix_time(timestamp: str) -> str:
    """STIX timestamps: UTC with millisecond precision ('2024-06-01T12:00:00.000Z')."""
    return timestamp[:23] + "Z" if len(timestamp) > 23 else timestamp


def csv_text(iocs: list[Ioc]) -> str:
    """CSV of every indicator with its note; cells that a spreadsheet would run as a formula
    are prefixed with an apostrophe."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for ioc in iocs:
        row = (
            ioc.type,
            ioc.value,
            ioc.hash_algorithm,
            ioc.first_seen,
            ioc.last_seen,
            " ".join(map(str, ioc.alert_ids)),
            ioc.note,
        )
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()


def _cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value

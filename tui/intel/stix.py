"""Importing an organisation's STIX 2.1 bundle: indicators, intrusion sets, campaigns, software,
attack patterns and the relationships between them.

Each object is validated on its own; a bad one is rejected with its id and the reason and the
rest are imported. Intrusion sets, campaigns and software whose name or alias is already known
are merged onto that object, so an indicator "attributed-to APT29" feeds the ATT&CK group.
Strings are stored as data; nothing in a bundle is interpreted beyond its patterns.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tui.config import current_user
from tui.intel.kb import ensure_loaded
from tui.intel.names import norm_name
from tui.intel.patterns import PatternError, parse_pattern
from tui.store import Store, StoreError
from tui.store import intel as db
from tui.store.intel import CampaignRow, GroupRow, IndicatorRow, IntelBatch, SoftwareRow

MAX_BUNDLE_BYTES = 100 * 1024 * 1024
MAX_TEXT = 20_000
_STIX_ID = re.compile(
    r"^([a-z0-9-]+)--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
_PLURALS = {
    "intrusion-set": "intrusion sets",
    "campaign": "campaigns",
    "malware": "malware",
    "tool": "tools",
}
_KINDS = {
    "intrusion-set": "group",
    "campaign": "campaign",
    "malware": "software",
    "tool": "software",
}
# relationship type -> allowed (source kind, target kind)
_RELATIONSHIPS = {
    "indicates": {("indicator", "group"), ("indicator", "campaign"), ("indicator", "software")},
    "attributed-to": {("campaign", "group")},
    "uses": {
        ("group", "technique"),
        ("group", "software"),
        ("campaign", "technique"),
        ("campaign", "software"),
        ("software", "technique"),
    },
}


class BundleError(StoreError):
    """The file is not a STIX 2.1 bundle at all; nothing was imported."""


@dataclass
class ImportResult:
    bundle_id: str
    counts: dict[str, int]
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (object id, reason)
    skipped: dict[str, int] = field(default_factory=dict)  # unsupported types, by type


def import_bundle(store: Store, path: Path) -> ImportResult:
    """Validate and import the bundle at `path` in one transaction."""
    bundle = _read_bundle(path)
    ensure_loaded(store)
    importer = _Importer(store, bundle["id"])
    for obj in bundle["objects"]:
        importer.add(obj)
    importer.relate()
    result = importer.result
    db.write_source(
        store.conn,
        f"stix:{bundle['id']}",
        importer.batch,
        curated=False,
        version="STIX 2.1",
        detail={
            "file": path.name,
            "counts": result.counts,
            "rejected": len(result.rejected),
        },
        actor=current_user(),
    )
    return result


def _read_bundle(path: Path) -> dict[str, Any]:
    try:
        size = path.stat().st_size
        if size > MAX_BUNDLE_BYTES:
            raise BundleError(f"{path}: {size} bytes is larger than the {MAX_BUNDLE_BYTES} limit")
        # The standard parser, not orjson: a lone surrogate in one object must reject that
        # object (strings are checked field by field), not the whole bundle.
        data = json.loads(
            path.read_bytes().decode("utf-8"),
            parse_constant=_no_constant,
            object_pairs_hook=_no_duplicates,
        )
    except OSError as exc:
        raise BundleError(f"{path}: cannot read ({exc.strerror})") from exc
    except (UnicodeDecodeError, ValueError) as exc:
        raise BundleError(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(data, dict) or data.get("type") != "bundle":
        raise BundleError(f"{path}: not a STIX bundle (top-level 'type' must be 'bundle')")
    if not isinstance(data.get("id"), str) or not _STIX_ID.match(data["id"]):
        raise BundleError(f"{path}: bundle 'id' must look like bundle--<uuid>")
    if not isinstance(data.get("objects"), list):
        raise BundleError(f"{path}: bundle has no 'objects' list")
    return data


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


class _Reject(ValueError):
    pass


def _text(obj: dict, key: str, *, required: bool = False) -> str:
    value = obj.get(key, "")
    if required and not value:
        raise _Reject(f"missing '{key}'")
    if not isinstance(value, str):
        raise _Reject(f"'{key}' must be a string")
    if len(value) > MAX_TEXT:
        raise _Reject(f"'{key}' is longer than {MAX_TEXT} characters")
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in value):
        raise _Reject(f"'{key}' contains a lone surrogate")
    return value


def _strings(obj: dict, key: str) -> list[str]:
    value = obj.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _Reject(f"'{key}' must be a list of strings")
    return [v for v in value if v and len(v) <= 200]


class _Importer:
    def __init__(self, store: Store, bundle_id: str) -> None:
        self.conn = store.conn
        self.batch = IntelBatch()
        self.result = ImportResult(bundle_id, {})
        self.ids: dict[str, tuple[str, str]] = {}  # STIX id -> (kind, object id)
        self.relationships: list[dict] = []
        self.seen: set[str] = set()

    def count(self, what: str) -> None:
        self.result.counts[what] = self.result.counts.get(what, 0) + 1

    def add(self, obj: Any) -> None:
        oid = obj.get("id") if isinstance(obj, dict) else None
        label = oid if isinstance(oid, str) else "(object without id)"
        try:
            self._add(obj)
        except _Reject as exc:
            self.result.rejected.append((label, str(exc)))

    def _add(self, obj: Any) -> None:
        if not isinstance(obj, dict):
            raise _Reject("not a JSON object")
        oid, otype = obj.get("id"), obj.get("type")
        if not isinstance(oid, str) or not _STIX_ID.match(oid):
            raise _Reject("'id' must look like <type>--<uuid>")
        if oid.split("--")[0] != otype:
            raise _Reject(f"'id' prefix does not match type {otype!r}")
        if obj.get("spec_version") != "2.1":
            raise _Reject("'spec_version' must be '2.1'")
        if oid in self.seen:
            raise _Reject("duplicate id: an object with this id came earlier in the bundle")
        self.seen.add(oid)
        if otype == "relationship":
            self.relationships.append(obj)
        elif otype == "indicator":
            self._indicator(obj)
        elif otype in _KINDS:
            self._named(obj, _KINDS[otype])
        elif otype == "attack-pattern":
            self._attack_pattern(obj)
        else:
            self.result.skipped[otype] = self.result.skipped.get(otype, 0) + 1

    def _indicator(self, obj: dict) -> None:
        if obj.get("pattern_type") != "stix":
            raise _Reject("only pattern_type 'stix' is supported")
        pattern = _text(obj, "pattern", required=True)
        valid_from = _text(obj, "valid_from", required=True)
        try:
            values = parse_pattern(pattern)
        except PatternError as exc:
            raise _Reject(f"pattern: {exc}") from exc
        name = _text(obj, "name")
        self.batch.indicators.append(IndicatorRow(obj["id"], name, pattern, valid_from, values))
        self.ids[obj["id"]] = ("indicator", obj["id"])
        self.batch.stix_ids.append((obj["id"], "indicator", obj["id"]))
        self.count("indicators")

    def _named(self, obj: dict, kind: str) -> None:
        name = _text(obj, "name", required=True).strip()
        aliases = [name, *_strings(obj, "aliases")]
        description = _text(obj, "description")
        existing = self._known(kind, aliases, obj["id"])
        object_id = existing or obj["id"]
        if existing is None:
            self._new_object(kind, obj, name, description)
        self.batch.stix_ids.append((obj["id"], kind, object_id))
        for alias in dict.fromkeys(aliases):
            self.batch.aliases.append((kind, object_id, alias, norm_name(alias)))
        self.ids[obj["id"]] = (kind, object_id)
        label = _PLURALS[obj["type"]]
        self.count(f"{label} (merged with known ones)" if existing else label)

    def _known(self, kind: str, aliases: list[str], stix_id: str) -> str | None:
        """The existing object this one names, if exactly one does. Its own earlier import
        (same STIX id) is not "existing": re-importing the bundle replaces it."""
        for alias in aliases:
            matches = db.find_by_norm(self.conn, kind, norm_name(alias))
            if len(matches) == 1 and matches[0] != stix_id:
                return matches[0]
        return None

    def _new_object(self, kind: str, obj: dict, name: str, description: str) -> None:
        if kind == "group":
            self.batch.groups.append(GroupRow(obj["id"], name, description))
        elif kind == "campaign":
            first, last = _text(obj, "first_seen"), _text(obj, "last_seen")
            self.batch.campaigns.append(CampaignRow(obj["id"], name, description, first, last))
        else:
            self.batch.software.append(SoftwareRow(obj["id"], name, obj["type"], description))

    def _attack_pattern(self, obj: dict) -> None:
        refs = obj.get("external_references", [])
        technique = next(
            (
                r.get("external_id")
                for r in refs
                if isinstance(r, dict) and r.get("source_name") == "mitre-attack"
            ),
            None,
        )
        if not isinstance(technique, str) or not re.fullmatch(r"T\d{4}(\.\d{3})?", technique):
            raise _Reject("attack-pattern without a mitre-attack external_id (T####)")
        self.ids[obj["id"]] = ("technique", technique)
        self.count("attack patterns")

    def relate(self) -> None:
        for obj in self.relationships:
            try:
                self.batch.relations.append(self._relation(obj))
                self.count("relationships")
            except _Reject as exc:
                self.result.rejected.append((obj["id"], str(exc)))

    def _relation(self, obj: dict) -> tuple[str, str, str, str, str]:
        rel = obj.get("relationship_type")
        if rel not in _RELATIONSHIPS:
            raise _Reject(f"relationship_type {rel!r} is not one of {sorted(_RELATIONSHIPS)}")
        source = self._resolve(obj, "source_ref")
        target = self._resolve(obj, "target_ref")
        if (source[0], target[0]) not in _RELATIONSHIPS[rel]:
            raise _Reject(f"'{rel}' cannot link a {source[0]} to a {target[0]}")
        return (source[0], source[1], rel, target[0], target[1])

    def _resolve(self, obj: dict, key: str) -> tuple[str, str]:
        ref = obj.get(key)
        if not isinstance(ref, str):
            raise _Reject(f"missing '{key}'")
        found = self.ids.get(ref) or db.stix_object(self.conn, ref)
        if found is None:
            raise _Reject(f"{key} {ref} is not a valid object of this bundle or an earlier one")
        return found

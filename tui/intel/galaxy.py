"""Build the knowledge base from the MISP galaxy clusters shipped by `pymispgalaxies`.

ATT&CK gives the structure (intrusion sets G####, techniques T####, mitigations M####, software
S#### and the "uses"/"mitigates" relations); MISP threat actors add victimology (state sponsor,
motive, target categories, suspected victims); Tidal adds campaigns with first/last seen and
which group ran them. Threat actors are joined onto the intrusion set of the same group so an
analyst sees one activity group with every alias.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import orjson

from tui.intel.names import clean_description, norm_name
from tui.store import StoreError
from tui.store.intel import (
    CampaignRow,
    GroupRow,
    IntelBatch,
    MitigationRow,
    SoftwareRow,
    TechniqueRow,
)

CLUSTERS = (
    "threat-actor",
    "microsoft-activity-group",
    "mitre-intrusion-set",
    "mitre-attack-pattern",
    "mitre-course-of-action",
    "mitre-malware",
    "mitre-tool",
    "tidal-groups",
    "tidal-software",
    "tidal-campaigns",
    "sector",
    "country",
)
_G_ID = re.compile(r"^G\d{4}$")
_TIDAL_LINK = re.compile(r"app\.tidalcyber\.com/(groups|software)/([0-9a-f-]{36})")
# Relations from a MISP threat actor to another group that make it an "associated group".
_ASSOCIATION = frozenset({"similar", "overlaps", "linked-to", "related-to", "associated-with"})


def clusters_dir() -> Path:
    # Located without importing pymispgalaxies (its import costs more than reading the data).
    spec = importlib.util.find_spec("pymispgalaxies")
    if spec is None or not spec.submodule_search_locations:
        raise StoreError("the pymispgalaxies package is not installed: pip install threatdesk")
    return Path(spec.submodule_search_locations[0]) / "data" / "misp-galaxy" / "clusters"


def package_version() -> str:
    return metadata.version("pymispgalaxies")


@dataclass
class GalaxyKB:
    """The built batch plus what `intel status` shows about where it came from."""

    batch: IntelBatch
    versions: dict[str, int]
    newest: str  # the most recent dated item (campaign last seen): how current the data is


def build(directory: Path | None = None) -> GalaxyKB:
    directory = directory or clusters_dir()
    clusters = {name: _read(directory, name) for name in CLUSTERS}
    builder = _Builder(clusters)
    builder.techniques()
    builder.mitigations()
    builder.software()
    builder.groups()
    builder.campaigns()
    builder.sectors()
    newest = max((c.last_seen for c in builder.batch.campaigns), default="")
    versions = {name: int(c.get("version", 0)) for name, c in clusters.items()}
    return GalaxyKB(builder.batch, versions, newest)


def _read(directory: Path, name: str) -> dict[str, Any]:
    path = directory / f"{name}.json"
    try:
        return orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        raise StoreError(f"{path}: cannot load this MISP galaxy cluster ({exc})") from exc


def _split_value(value: str) -> tuple[str, str]:
    """'Password Guessing - T1110.001' -> ('Password Guessing', 'T1110.001')."""
    name, _, ext = value.rpartition(" - ")
    return (name, ext) if name else (value, "")


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value if v]
    return [str(value)] if value else []


def _union(*lists: Iterable[str]) -> list[str]:
    seen: dict[str, str] = {}
    for items in lists:
        for item in items:
            seen.setdefault(item.casefold(), item)
    return list(seen.values())


# Spellings in MISP threat-actor victim lists that differ from the country galaxy's names.
_COUNTRY_SPELLINGS = {
    "united states": "US",
    "us": "US",
    "usa": "US",
    "russian federation": "RU",
    "republic of korea": "KR",
    "korea (republic of)": "KR",
    "czech republic": "CZ",
    "the philippines": "PH",
}


class _Countries:
    """ISO codes <-> names, so Tidal's observed countries ('US') join MISP's victim names
    ('United States') without listing a country twice."""

    def __init__(self, values: list[dict[str, Any]]) -> None:
        self.names = {v.get("meta", {}).get("ISO", ""): v.get("description", "") for v in values}
        self.codes = {name.casefold(): code for code, name in self.names.items()}
        self.codes |= _COUNTRY_SPELLINGS

    def merge(self, victims: list[str], observed_codes: list[str]) -> list[str]:
        present = {self.codes.get(v.casefold()) for v in victims}
        added = [self.names.get(c, c) for c in observed_codes if c not in present]
        return _union(victims, added)


@dataclass
class _Group:
    row: GroupRow
    uuids: set[str] = field(default_factory=set)
    names: list[str] = field(default_factory=list)


class _Builder:
    def __init__(self, clusters: dict[str, dict[str, Any]]) -> None:
        self.clusters = clusters
        self.batch = IntelBatch()
        self.uuid_kind: dict[str, tuple[str, str]] = {}  # cluster uuid -> (kind, object id)
        self.tidal_groups: dict[str, str] = {}  # Tidal group uuid -> group id
        self.associations: list[tuple[_Group, str]] = []  # (group, related cluster uuid)
        # cluster uuid -> intrusion sets that name it in their own "related" list
        self.related_to_iset: dict[str, list[str]] = {}
        for v in self.values("mitre-intrusion-set"):
            for rel in v.get("related", []):
                self.related_to_iset.setdefault(rel["dest-uuid"], []).append(v["uuid"])

    def values(self, name: str) -> list[dict[str, Any]]:
        return self.clusters[name]["values"]

    # -- ATT&CK ------------------------------------------------------------------------------

    def techniques(self) -> None:
        for v in self.values("mitre-attack-pattern"):
            name, tid = _split_value(v["value"])
            tid = v.get("meta", {}).get("external_id", tid)
            tactics = _union(k.rpartition(":")[2] for k in v["meta"].get("kill_chain", []))
            self.uuid_kind[v["uuid"]] = ("technique", tid)
            self.batch.techniques.append(
                TechniqueRow(tid, name, tactics, clean_description(v.get("description", "")))
            )

    def mitigations(self) -> None:
        for v in self.values("mitre-course-of-action"):
            name, mid = _split_value(v["value"])
            mid = v.get("meta", {}).get("external_id", mid)
            if not mid.startswith("M"):
                continue  # pre-2019 technique-named advice, superseded by the M#### mitigations
            self.batch.mitigations.append(
                MitigationRow(mid, name, clean_description(v.get("description", "")))
            )
            for rel in v.get("related", []):
                target = self.uuid_kind.get(rel["dest-uuid"])
                if rel["type"] == "mitigates" and target and target[0] == "technique":
                    self.batch.relations.append(
                        ("mitigation", mid, "mitigates", "technique", target[1])
                    )

    def software(self) -> None:
        uses: list[tuple[str, list[dict]]] = []
        for cluster, kind in (("mitre-malware", "malware"), ("mitre-tool", "tool")):
            for v in self.values(cluster):
                name, sid = _split_value(v["value"])
                meta = v.get("meta", {})
                sid = meta.get("external_id", sid)
                self.uuid_kind[v["uuid"]] = ("software", sid)
                self.batch.software.append(
                    SoftwareRow(sid, name, kind, clean_description(v.get("description", "")))
                )
                for alias in _union([name], _as_list(meta.get("synonyms"))):
                    self.batch.aliases.append(("software", sid, alias, norm_name(alias)))
                uses.append((sid, v.get("related", [])))
        for sid, rels in uses:
            for target in self._targets(rels, "uses"):
                if target[0] == "technique":
                    self.batch.relations.append(("software", sid, "uses", *target))

    def _targets(self, related: list[dict], relation: str) -> list[tuple[str, str]]:
        found = []
        for rel in related:
            target = self.uuid_kind.get(rel["dest-uuid"])
            if rel["type"] == relation and target:
                found.append(target)
        return found

    # -- activity groups ---------------------------------------------------------------------

    def groups(self) -> None:
        groups = self._intrusion_sets()
        by_g_id = {g.row.id: g for g in groups.values()}
        by_name: dict[str, list[_Group]] = {}
        for g in by_g_id.values():
            for name in g.names:
                by_name.setdefault(norm_name(name), []).append(g)
        for actor in self.values("threat-actor"):
            target = self._join_target(actor, groups, by_g_id, by_name)
            if target is None:
                target = _Group(GroupRow(actor["uuid"], actor["value"]))
                groups[actor["uuid"]] = target
            self._merge_threat_actor(target, actor)
            self.uuid_kind[actor["uuid"]] = ("group", target.row.id)
        self._merge_tidal(by_g_id, by_name)
        self._merge_microsoft(groups, by_name)
        self._emit_groups(groups)

    def _intrusion_sets(self) -> dict[str, _Group]:
        groups: dict[str, _Group] = {}
        revoked: dict[str, list[str]] = {}
        for v in self.values("mitre-intrusion-set"):
            name, gid = _split_value(v["value"])
            meta = v.get("meta", {})
            gid = meta.get("external_id", gid)
            names = _union([name], _as_list(meta.get("synonyms")))
            successor = [r["dest-uuid"] for r in v.get("related", []) if r["type"] == "revoked-by"]
            if successor:
                revoked.setdefault(successor[0], []).extend(names)
                continue
            row = GroupRow(
                gid,
                name,
                clean_description(v.get("description", "")),
                refs=_as_list(meta.get("refs")),
            )
            groups[v["uuid"]] = _Group(row, {v["uuid"]}, names)
            self.uuid_kind[v["uuid"]] = ("group", gid)
        for v in self.values("mitre-intrusion-set"):
            group = groups.get(v["uuid"])
            if group is None:
                continue
            group.names = _union(group.names, revoked.get(v["uuid"], []))
            for kind, target in self._targets(v.get("related", []), "uses"):
                if kind in ("technique", "software"):
                    self.batch.relations.append(("group", group.row.id, "uses", kind, target))
            for rel in v.get("related", []):
                if rel["type"] in _ASSOCIATION:
                    self.associations.append((group, rel["dest-uuid"]))
        return groups

    def _join_target(
        self,
        actor: dict[str, Any],
        groups: dict[str, _Group],
        by_g_id: dict[str, _Group],
        by_name: dict[str, list[_Group]],
    ) -> _Group | None:
        """The intrusion set this threat actor describes: linked by uuid, by ATT&CK id in its
        synonyms, or by an unambiguous shared name."""
        for rel in actor.get("related", []):
            if rel["dest-uuid"] in groups and groups[rel["dest-uuid"]].row.id in by_g_id:
                return groups[rel["dest-uuid"]]
        for iset_uuid in self.related_to_iset.get(actor["uuid"], []):
            if iset_uuid in groups:
                return groups[iset_uuid]
        synonyms = _as_list(actor.get("meta", {}).get("synonyms"))
        for synonym in synonyms:
            if _G_ID.match(synonym) and synonym in by_g_id:
                return by_g_id[synonym]
        primary = by_name.get(norm_name(actor["value"]), [])
        if len(primary) == 1:
            return primary[0]
        return None

    def _merge_threat_actor(self, group: _Group, actor: dict[str, Any]) -> None:
        meta = actor.get("meta", {})
        row = group.row
        group.uuids.add(actor["uuid"])
        group.names = _union(
            group.names,
            [actor["value"]],
            (s for s in _as_list(meta.get("synonyms")) if not _G_ID.match(s)),
        )
        if not row.description:
            row.description = clean_description(actor.get("description", ""))
        row.country = row.country or str(meta.get("country", ""))
        row.sponsor = row.sponsor or str(meta.get("cfr-suspected-state-sponsor", ""))
        row.attribution_confidence = row.attribution_confidence or str(
            meta.get("attribution-confidence", "")
        )
        row.motives = _union(
            row.motives, _as_list(meta.get("cfr-type-of-incident")), _as_list(meta.get("motive"))
        )
        row.sectors = _union(
            row.sectors,
            _as_list(meta.get("cfr-target-category")),
            _as_list(meta.get("targeted-sector")),
        )
        row.victims = _union(row.victims, _as_list(meta.get("cfr-suspected-victims")))
        row.refs = _union(row.refs, _as_list(meta.get("refs")))
        for rel in actor.get("related", []):
            if rel["type"] in _ASSOCIATION:
                self.associations.append((group, rel["dest-uuid"]))

    def _merge_tidal(self, by_g_id: dict[str, _Group], by_name: dict[str, list[_Group]]) -> None:
        countries = _Countries(self.values("country"))
        for v in self.values("tidal-groups"):
            meta = v.get("meta", {})
            group = by_g_id.get(meta.get("group_attack_id", ""))
            if group is None:
                matches = by_name.get(norm_name(v["value"]), [])
                group = matches[0] if len(matches) == 1 else None
            if group is None:
                continue
            self.tidal_groups[v["uuid"]] = group.row.id
            row = group.row
            row.motives = _union(row.motives, _as_list(meta.get("observed_motivations")))
            row.sectors = _union(row.sectors, _as_list(meta.get("target_categories")))
            row.victims = countries.merge(row.victims, _as_list(meta.get("observed_countries")))
            if not row.country and meta.get("country"):
                row.country = str(meta["country"])

    def _merge_microsoft(self, groups: dict[str, _Group], by_name: dict[str, list[_Group]]) -> None:
        """Microsoft's names ('Midnight Blizzard', 'Storm-0558') are what Defender alerts use:
        add them as aliases of the group they are 'similar' to, or keep them as groups."""
        by_id = {g.row.id: g for g in groups.values()}
        for v in self.values("microsoft-activity-group"):
            meta = v.get("meta", {})
            linked = [self.uuid_kind.get(r["dest-uuid"]) for r in v.get("related", [])]
            ids = {k[1] for k in linked if k and k[0] == "group"}
            named = by_name.get(norm_name(v["value"]), [])
            if len(ids) != 1 and len(named) == 1:
                ids = {named[0].row.id}
            if len(ids) == 1:
                group = by_id[ids.pop()]
            else:
                group = _Group(
                    GroupRow(v["uuid"], v["value"], clean_description(v.get("description", "")))
                )
                groups[v["uuid"]] = by_id[v["uuid"]] = group
            group.names = _union(group.names, [v["value"]], _as_list(meta.get("synonyms")))
            group.row.country = group.row.country or str(meta.get("country", ""))
            group.row.sectors = _union(group.row.sectors, _as_list(meta.get("sector")))
            group.row.refs = _union(group.row.refs, _as_list(meta.get("refs")))
            self.uuid_kind[v["uuid"]] = ("group", group.row.id)

    def _emit_groups(self, groups: dict[str, _Group]) -> None:
        emitted: dict[str, _Group] = {}
        for g in groups.values():
            emitted.setdefault(g.row.id, g)
        for g in emitted.values():
            self.batch.groups.append(g.row)
            for alias in _union([g.row.name], g.names):
                self.batch.aliases.append(("group", g.row.id, alias, norm_name(alias)))
        pairs = set()
        for group, uuid in self.associations:
            other = self.uuid_kind.get(uuid)
            if other and other[0] == "group" and other[1] != group.row.id:
                pairs.add((group.row.id, other[1]))
        for a, b in sorted(pairs):
            self.batch.relations.append(("group", a, "associated-with", "group", b))

    # -- campaigns and sectors ---------------------------------------------------------------

    def campaigns(self) -> None:
        software = {
            v["uuid"]: v.get("meta", {}).get("software_attack_id", "")
            for v in self.values("tidal-software")
        }
        known_software = {s.id for s in self.batch.software}
        for v in self.values("tidal-campaigns"):
            meta = v.get("meta", {})
            cid = meta.get("campaign_attack_id") or v["uuid"]
            description = v.get("description", "")
            self.batch.campaigns.append(
                CampaignRow(
                    cid,
                    v["value"],
                    clean_description(description),
                    str(meta.get("first_seen", "")),
                    str(meta.get("last_seen", "")),
                )
            )
            self.batch.aliases.append(("campaign", cid, v["value"], norm_name(v["value"])))
            for kind, uuid in dict.fromkeys(_TIDAL_LINK.findall(description)):
                if kind == "groups" and uuid in self.tidal_groups:
                    target = ("group", self.tidal_groups[uuid])
                    self.batch.relations.append(("campaign", cid, "attributed-to", *target))
                elif kind == "software" and software.get(uuid) in known_software:
                    target = ("software", software[uuid])
                    self.batch.relations.append(("campaign", cid, "uses", *target))

    def sectors(self) -> None:
        for v in self.values("sector"):
            self.batch.sectors.append((v["value"], v.get("description", "")))

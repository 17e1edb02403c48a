"""Read models of the knowledge base for reports and screens: groups, campaigns, mitigations.

Everything here is plain data; knowledge-base text is curated but still shown through
`tui.model.text.display` by whoever renders it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tui.intel.kb import ensure_loaded
from tui.intel.names import norm_name
from tui.store import Store, StoreError
from tui.store import intel as db

# ATT&CK Enterprise tactics in kill-chain order; techniques of other matrices sort after.
TACTIC_ORDER = (
    "reconnaissance",
    "resource-development",
    "initial-access",
    "execution",
    "persistence",
    "privilege-escalation",
    "defense-evasion",
    "credential-access",
    "discovery",
    "lateral-movement",
    "collection",
    "command-and-control",
    "exfiltration",
    "impact",
)


def tactic_label(tactic: str) -> str:
    """'command-and-control' -> 'Command and Control'."""
    small = {"and", "or", "of"}
    words = tactic.split("-")
    return " ".join(w if w in small else w.capitalize() for w in words)


@dataclass(frozen=True, slots=True)
class TechniqueRef:
    id: str
    name: str
    tactics: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SoftwareRef:
    id: str
    name: str
    kind: str  # 'malware' | 'tool'


@dataclass(frozen=True, slots=True)
class CampaignRef:
    id: str
    name: str
    first_seen: str
    last_seen: str


@dataclass(frozen=True, slots=True)
class GroupRef:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class GroupProfile:
    id: str
    name: str
    aliases: tuple[str, ...]
    country: str
    sponsor: str
    attribution_confidence: str
    motives: tuple[str, ...]
    target_sectors: tuple[str, ...]
    victims: tuple[str, ...]
    description: str
    references: tuple[str, ...]
    associated_groups: tuple[GroupRef, ...]
    techniques_by_tactic: dict[str, tuple[TechniqueRef, ...]]  # tactic -> techniques, in order
    software: tuple[SoftwareRef, ...]
    campaigns: tuple[CampaignRef, ...]  # oldest first


@dataclass(frozen=True, slots=True)
class CampaignProfile:
    id: str
    name: str
    aliases: tuple[str, ...]
    description: str
    first_seen: str
    last_seen: str
    groups: tuple[GroupRef, ...]
    software: tuple[SoftwareRef, ...]
    techniques_by_tactic: dict[str, tuple[TechniqueRef, ...]]


@dataclass(frozen=True, slots=True)
class Mitigation:
    id: str  # M####
    name: str
    description: str
    techniques: tuple[str, ...]  # which of the asked techniques it mitigates


def group_profile(store: Store, group_id: str) -> GroupProfile:
    ensure_loaded(store)
    conn = store.conn
    row = db.group_row(conn, group_id)
    if row is None:
        raise StoreError(f"activity group {group_id!r}: not in the knowledge base")
    associated = set(db.related(conn, "group", group_id, "associated-with", "group"))
    associated |= set(db.related_to(conn, "group", group_id, "associated-with", "group"))
    campaign_ids = db.related_to(conn, "group", group_id, "attributed-to", "campaign")
    campaigns = sorted(
        (
            CampaignRef(c.id, c.name, c.first_seen, c.last_seen)
            for c in db.campaign_rows(conn, campaign_ids)
        ),
        key=lambda c: (c.first_seen, c.name),
    )
    return GroupProfile(
        id=row.id,
        name=row.name,
        aliases=_other_names(db.aliases_of(conn, "group", group_id), row.name),
        country=row.country,
        sponsor=row.sponsor,
        attribution_confidence=row.attribution_confidence,
        motives=tuple(row.motives),
        target_sectors=tuple(row.sectors),
        victims=tuple(row.victims),
        description=row.description,
        references=tuple(row.refs),
        associated_groups=_group_refs(store, associated),
        techniques_by_tactic=_by_tactic(
            store, db.related(conn, "group", group_id, "uses", "technique")
        ),
        software=_software(store, db.related(conn, "group", group_id, "uses", "software")),
        campaigns=tuple(campaigns),
    )


def campaign_profile(store: Store, campaign_id: str) -> CampaignProfile:
    ensure_loaded(store)
    conn = store.conn
    row = db.campaign_row(conn, campaign_id)
    if row is None:
        raise StoreError(f"campaign {campaign_id!r}: not in the knowledge base")
    return CampaignProfile(
        id=row.id,
        name=row.name,
        aliases=_other_names(db.aliases_of(conn, "campaign", campaign_id), row.name),
        description=row.description,
        first_seen=row.first_seen,
        last_seen=row.last_seen,
        groups=_group_refs(
            store, db.related(conn, "campaign", campaign_id, "attributed-to", "group")
        ),
        software=_software(store, db.related(conn, "campaign", campaign_id, "uses", "software")),
        techniques_by_tactic=_by_tactic(
            store, db.related(conn, "campaign", campaign_id, "uses", "technique")
        ),
    )


def mitigations_for(store: Store, technique_ids: Sequence[str]) -> list[Mitigation]:
    """ATT&CK mitigations of the techniques; a sub-technique also gets its parent's."""
    ensure_loaded(store)
    asked = list(dict.fromkeys(technique_ids))
    wanted = list(dict.fromkeys([*asked, *(t.split(".")[0] for t in asked)]))
    found = db.mitigation_rows(store.conn, wanted)
    return [
        Mitigation(row.id, row.name, row.description, tuple(dict.fromkeys(techniques)))
        for row, techniques in found
    ]


def technique_names(store: Store, ids: Iterable[str]) -> dict[str, str]:
    """ATT&CK names of the given technique ids; unknown ids are left out."""
    ensure_loaded(store)
    return {tid: row.name for tid, row in db.technique_rows(store.conn, ids).items()}


def find_groups(store: Store, name_or_id: str) -> list[GroupRef]:
    """Groups whose id, name or alias is `name_or_id` (case and punctuation ignored)."""
    ensure_loaded(store)
    conn = store.conn
    ids = [name_or_id] if db.group_row(conn, name_or_id) else []
    ids += db.find_by_norm(conn, "group", norm_name(name_or_id))
    return list(_group_refs(store, dict.fromkeys(ids)))


def find_campaigns(store: Store, name_or_id: str) -> list[str]:
    ensure_loaded(store)
    conn = store.conn
    ids = [name_or_id] if db.campaign_row(conn, name_or_id) else []
    return list(dict.fromkeys(ids + db.find_by_norm(conn, "campaign", norm_name(name_or_id))))


def _other_names(aliases: list[str], name: str) -> tuple[str, ...]:
    return tuple(a for a in aliases if a != name)


def _group_refs(store: Store, ids: Iterable[str]) -> tuple[GroupRef, ...]:
    refs = [GroupRef(gid, db.name_of(store.conn, "group", gid) or gid) for gid in ids]
    return tuple(sorted(refs, key=lambda g: g.name.casefold()))


def _software(store: Store, ids: Iterable[str]) -> tuple[SoftwareRef, ...]:
    rows = db.software_rows(store.conn, ids)
    return tuple(
        sorted((SoftwareRef(r.id, r.name, r.kind) for r in rows), key=lambda s: s.name.casefold())
    )


def _by_tactic(store: Store, technique_ids: Iterable[str]) -> dict[str, tuple[TechniqueRef, ...]]:
    rows = db.technique_rows(store.conn, technique_ids)
    grouped: dict[str, list[TechniqueRef]] = {}
    for row in sorted(rows.values(), key=lambda r: r.id):
        ref = TechniqueRef(row.id, row.name, tuple(row.tactics))
        for tactic in row.tactics or ["other"]:
            grouped.setdefault(tactic, []).append(ref)
    rank = {t: i for i, t in enumerate(TACTIC_ORDER)}
    ordered = sorted(grouped, key=lambda t: (rank.get(t, len(rank)), t))
    return {t: tuple(grouped[t]) for t in ordered}

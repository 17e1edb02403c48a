"""Loading the offline knowledge base into the store, and what version it is."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from tui.config import current_user
from tui.intel import galaxy
from tui.store import Store
from tui.store import intel as db

_load_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class KbVersion:
    """Where the knowledge base came from: shown in `intel status` and on report covers."""

    package: str  # e.g. 'pymispgalaxies 1.1.1'
    galaxies: dict[str, int]  # cluster name -> galaxy version
    loaded_at: str
    data_until: str  # newest dated item (campaign last seen)
    bundles: list[str]  # imported STIX bundles

    @property
    def label(self) -> str:
        attack = self.galaxies.get("mitre-intrusion-set", 0)
        actors = self.galaxies.get("threat-actor", 0)
        date = self.data_until[:10] or "undated"
        return f"{self.package} (ATT&CK galaxy v{attack}, threat actors v{actors}, data to {date})"


def update(store: Store) -> dict[str, int]:
    """(Re)load the MISP galaxies into the store in one transaction; return the counts."""
    kb = galaxy.build()
    counts = kb.batch.counts()
    detail = {"counts": counts, "galaxies": kb.versions, "data_until": kb.newest}
    db.write_source(
        store.conn,
        db.MISP_SOURCE,
        kb.batch,
        curated=True,
        version=f"pymispgalaxies {galaxy.package_version()}",
        detail=detail,
        actor=current_user(),
    )
    return counts


def ensure_loaded(store: Store) -> None:
    """Load the knowledge base on first need; a no-op once it is there."""
    if db.is_loaded(store.conn):
        return
    with _load_lock:
        if not db.is_loaded(store.conn):
            update(store)


def kb_version(store: Store) -> KbVersion | None:
    """The loaded knowledge base's version, or None before the first load."""
    found = {s.name: s for s in db.sources(store.conn)}
    misp = found.get(db.MISP_SOURCE)
    if misp is None:
        return None
    return KbVersion(
        package=misp.version,
        galaxies=misp.detail.get("galaxies", {}),
        loaded_at=misp.loaded_at,
        data_until=misp.detail.get("data_until", ""),
        bundles=sorted(name for name in found if name.startswith("stix:")),
    )

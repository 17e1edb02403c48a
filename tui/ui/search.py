"""Search as you type: FTS5 finds candidates, rapidfuzz ranks them, so typos still find things.

Two candidate sources: word prefixes through FTS5 (a typo past the third letter still matches),
and titles close to the query by fuzzy score (a typo anywhere in a title). Ranking scores the
visible title, entities and resource against the query.
"""

from __future__ import annotations

import sqlite3
from array import array
from collections.abc import Callable

from rapidfuzz import fuzz, process

from tui.model import visible
from tui.store.alert_list import Candidate, ListFilter, search_candidates, title_candidates

MIN_SCORE = 55
TITLE_MATCHES = 8
# Newest candidates per source: enough to fill many screens, few enough to rank in ~50 ms.
CANDIDATES = 1000


def _scorer(query: str) -> Callable[[Candidate], float]:
    titles: dict[str, float] = {}  # alerts repeat titles: score each once

    def score(c: Candidate) -> float:
        title = titles.get(c.title)
        if title is None:
            title = titles[c.title] = fuzz.WRatio(query, visible(c.title), processor=str.lower)
        others = max(
            fuzz.partial_ratio(query, visible(c.entities), processor=str.lower),
            fuzz.partial_ratio(query, c.resource, processor=str.lower),
        )
        return max(title, others * 0.95)

    return score


def search(
    conn: sqlite3.Connection,
    query: str,
    f: ListFilter,
    titles: list[str],
    cancelled: Callable[[], bool] = lambda: False,
) -> array:
    """Alert ids for `query`, best match first (newest first among equals).

    `titles` is the title vocabulary for typos in a title's first letters; while it is still
    loading, an empty list only skips that source."""
    query = visible(query).strip()
    if not query:
        return array("q")
    found = {c.id: c for c in search_candidates(conn, query, f, CANDIDATES)}
    close = process.extract(
        query,
        [visible(t) for t in titles],
        scorer=fuzz.WRatio,
        processor=str.lower,
        limit=TITLE_MATCHES,
        score_cutoff=80,
    )
    if cancelled():
        return array("q")
    for c in title_candidates(conn, [titles[i] for _t, _s, i in close], f, CANDIDATES):
        found.setdefault(c.id, c)
    if cancelled():
        return array("q")
    score = _scorer(query)
    # Whole points, so that among equally good matches the newest comes first.
    scored = [(round(s), c.time, c.id) for c in found.values() if (s := score(c)) >= MIN_SCORE]
    scored.sort(reverse=True)
    return array("q", [cid for _s, _t, cid in scored])

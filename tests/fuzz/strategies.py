"""Hypothesis strategies: real alert records of each import format, mutated.

A record starts as a real public sample (tests/data/real, tests/ingest/data) and gets a few
mutations at random places in its JSON tree: a key deleted, a value of another type, random
unicode (control characters, bidi, lone surrogates), a huge string, deep nesting.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT / "data" / "real"


def _samples() -> dict[str, list[dict]]:
    def load(path: str) -> dict:
        return json.loads((REAL / path).read_text(encoding="utf-8"))

    spec = load("azure-rest-api-specs-security-alerts/GetAlertsSubscription_example.json")
    recorded = load("defender-for-cloud-recorded-api-responses/security_alerts_list_excerpt.json")
    ocsf = (ROOT / "ingest" / "data" / "ocsf_detection_findings.jsonl").read_text()
    return {
        "defender": spec["responses"]["200"]["body"]["value"] + recorded["value"],
        "sentinel": load(
            "defender-for-cloud-loganalytics-securityalert/securityalert_sample_row.stix-shifter.json"
        )["rows"],
        "graph": load("graph-security-alerts_v2/alert_v2_list.stix-shifter.json")["value"],
        "ocsf": [json.loads(line) for line in ocsf.splitlines() if line.strip()],
    }


SAMPLES = _samples()
Path_ = tuple[str | int, ...]

# Text an attacker controls: any code point including controls, bidi and lone surrogates.
hostile_text = st.text(
    st.one_of(
        st.characters(codec=None, exclude_categories=()),
        st.sampled_from("\x00\x1b\x07\x08\r\n\x7f\u009b\u202e\u200b\ud800\udfff[]/@$="),
    ),
    max_size=40,
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    hostile_text,
)


def _paths(node: Any, prefix: Path_ = ()) -> list[Path_]:
    """Every key/index path in the record (the root excluded)."""
    found: list[Path_] = []
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for key, child in items:
        found.append((*prefix, key))
        if isinstance(child, dict | list):
            found.extend(_paths(child, (*prefix, key)))
    return found


def _parent(record: dict, path: Path_) -> Any:
    node: Any = record
    for key in path[:-1]:
        node = node[key]
    return node


def _nest(value: object, depth: int) -> object:
    for _ in range(depth):
        value = [value]
    return value


replacements = st.one_of(
    scalars,
    st.lists(scalars, max_size=3),
    st.dictionaries(hostile_text, scalars, max_size=3),
    st.integers(min_value=1_000, max_value=300_000).map(lambda n: "Z" * n),
    st.integers(min_value=2, max_value=60).map(lambda depth: _nest({"deep": 1}, depth)),
)


@st.composite
def mutated_record(draw: st.DrawFn, fmt: str) -> dict:
    record = json.loads(json.dumps(draw(st.sampled_from(SAMPLES[fmt]))))
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        paths = _paths(record)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = _parent(record, path)
        if draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(replacements)
    return record


def with_id(fmt: str, record: dict, source_id: str) -> dict:
    """Give the record its own id (where the format keeps it) unless a mutation broke it."""
    holder = record.get("finding_info") if fmt == "ocsf" else record
    key = {"defender": "id", "sentinel": "SystemAlertId", "graph": "id", "ocsf": "uid"}[fmt]
    if isinstance(holder, dict) and isinstance(holder.get(key), str):
        holder[key] = source_id
    return record


def encode(record: dict) -> bytes:
    """One JSON line; lone surrogates become \\udxxx escapes, as an attacker would send them."""
    return json.dumps(record, ensure_ascii=True).encode("ascii")

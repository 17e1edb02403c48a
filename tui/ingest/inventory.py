"""Import an Azure Resource Graph export (JSON or CSV) into the resource inventory.

Accepted shapes: a JSON array of resources, `{"data": [...]}` (az graph query), `{"value": [...]}`
(REST list), or CSV with a header naming `id, name, type, location, resourceGroup,
subscriptionId, tags` (any case; `tags` holds a JSON object). A bad row is rejected with its row
number and the reason; the good rows are stored in one transaction with one audit row.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tui.config import current_user
from tui.model.text import visible
from tui.store import Store, audit
from tui.store.db import transaction
from tui.store.resources import Resource, ResourceCounts, upsert_resources

MAX_FIELD_CHARS = 4096  # Azure ids stay far below this; longer is hostile or corrupt
MAX_TAGS = 100  # Azure allows 50 tags per resource
MAX_FILE_BYTES = 512 * 1024 * 1024

# Header / key spellings seen in portal CSV exports, az CLI JSON and REST responses.
_FIELD_NAMES = {
    "id": "id",
    "resourceid": "id",
    "name": "name",
    "type": "type",
    "resourcetype": "type",
    "location": "location",
    "resourcegroup": "resource_group",
    "resourcegroupname": "resource_group",
    "subscriptionid": "subscription_id",
    "tags": "tags",
}


class InventoryError(Exception):
    """The file as a whole cannot be read as an inventory."""


@dataclass(frozen=True)
class Rejected:
    row: int
    reason: str


@dataclass
class InventoryResult:
    file: Path
    counts: ResourceCounts = field(default_factory=ResourceCounts)
    rejected: list[Rejected] = field(default_factory=list)


def import_inventory(store: Store, path: Path) -> InventoryResult:
    """Parse `path` and upsert its valid rows; rejected rows are reported, not stored."""
    resources, rejected = load_inventory(path)
    result = InventoryResult(file=path, rejected=rejected)
    with transaction(store.conn) as conn:
        result.counts = upsert_resources(conn, resources)
        summary = {**vars(result.counts), "rejected": len(rejected)}
        audit.record(conn, current_user(), "inventory.import", "file", str(path), None, summary)
    return result


def load_inventory(path: Path) -> tuple[list[Resource], list[Rejected]]:
    """Every valid resource of the file (first copy of each id) and every rejected row."""
    resources: list[Resource] = []
    rejected: list[Rejected] = []
    first_row: dict[str, int] = {}
    for row_no, record in _records(path):
        try:
            resource = parse_resource(record)
        except ValueError as exc:
            rejected.append(Rejected(row_no, str(exc)))
            continue
        if resource.id in first_row:
            rejected.append(Rejected(row_no, f"duplicate of row {first_row[resource.id]}"))
            continue
        first_row[resource.id] = row_no
        resources.append(resource)
    return resources, rejected


def _records(path: Path) -> Iterator[tuple[int, Any]]:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InventoryError(f"{path}: {size:,} bytes is larger than an inventory can be")
        with path.open("rb") as handle:
            head = handle.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    except OSError as exc:
        raise InventoryError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    if head[:1] in (b"[", b"{"):
        yield from enumerate(_json_rows(path), start=1)
    else:
        yield from _csv_rows(path)


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InventoryError(f"{path}: not UTF-8 (invalid byte at offset {exc.start})") from exc


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON value")


def _json_rows(path: Path) -> list[Any]:
    try:
        document = json.loads(_read_text(path), parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise InventoryError(f"{path}: not valid JSON ({exc})") from exc
    if isinstance(document, list):
        return document
    if isinstance(document, dict):
        for key in ("data", "value"):
            if isinstance(document.get(key), list):
                return document[key]
        if "id" in document:
            return [document]
    raise InventoryError(
        f'{path}: expected a JSON array of resources, {{"data": [...]}} or {{"value": [...]}}'
    )


def _csv_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    text = _read_text(path)
    reader = csv.DictReader(text.splitlines(keepends=True))
    header = reader.fieldnames or []
    if "id" not in {_FIELD_NAMES.get(_norm_key(h)) for h in header}:
        raise InventoryError(
            f"{path}: not an inventory: JSON, or CSV whose header names at least an id column "
            "(id, name, type, location, resourceGroup, subscriptionId, tags)"
        )
    try:
        yield from enumerate(reader, start=1)
    except csv.Error as exc:
        raise InventoryError(f"{path}: line {reader.line_num}: unreadable CSV ({exc})") from exc


def _norm_key(key: object) -> str:
    return str(key).replace(" ", "").replace("_", "").replace("-", "").lower()


def parse_resource(record: Any) -> Resource:
    """One inventory record as a Resource; ValueError names the field and the problem."""
    if not isinstance(record, dict):
        raise ValueError(f"expected an object, got {type(record).__name__}")
    fields: dict[str, Any] = {}
    for key, value in record.items():
        name = _FIELD_NAMES.get(_norm_key(key))
        if name and value not in (None, ""):
            fields[name] = value
    resource_id = _text(fields, "id")
    if not resource_id:
        raise ValueError("no resource id")
    if not resource_id.lower().startswith("/subscriptions/"):
        raise ValueError(f"id {visible(resource_id[:80])!r} is not an Azure resource id")
    if len(resource_id.strip("/").split("/")) < 2:
        raise ValueError("id names no subscription")
    if visible(resource_id) != resource_id:
        raise ValueError("id contains control or invisible characters")
    derived = _from_id(resource_id)
    return Resource(
        id=resource_id.lower(),
        name=_text(fields, "name") or derived["name"],
        type=_text(fields, "type") or derived["type"],
        location=_text(fields, "location"),
        resource_group=_text(fields, "resource_group") or derived["resource_group"],
        subscription_id=_text(fields, "subscription_id") or derived["subscription_id"],
        tags=_tags(fields.get("tags")),
    )


def _checked(value: str, what: str) -> str:
    if len(value) > MAX_FIELD_CHARS:
        raise ValueError(f"{what} is {len(value):,} characters long (limit {MAX_FIELD_CHARS:,})")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{what} contains an invalid Unicode surrogate") from None
    return value


def _text(fields: dict[str, Any], name: str) -> str:
    value = fields.get(name, "")
    if not isinstance(value, str):
        raise ValueError(f"{name} must be text, got {type(value).__name__}")
    return _checked(value.strip(), name)


def _from_id(resource_id: str) -> dict[str, str]:
    """Name, type, group and subscription spelled out in an id such as
    /subscriptions/S/resourceGroups/G/providers/Microsoft.Compute/virtualMachines/vm1."""
    parts = resource_id.strip("/").split("/")
    derived = {"name": parts[-1], "type": "", "resource_group": "", "subscription_id": parts[1]}
    lowered = [p.lower() for p in parts]
    if len(parts) > 3 and lowered[2] == "resourcegroups":
        derived["resource_group"] = parts[3]
    if "providers" in lowered:
        after = parts[lowered.index("providers") + 1 :]
        # namespace, then type/name pairs: keep the namespace and every type segment
        derived["type"] = "/".join([after[0], *after[1::2]]) if after else ""
    return derived


def _tags(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value, parse_constant=_reject_constant)
        except (ValueError, RecursionError):
            raise ValueError("tags is not valid JSON") from None
    if not isinstance(value, dict):
        raise ValueError(f"tags must be a JSON object, got {type(value).__name__}")
    if len(value) > MAX_TAGS:
        raise ValueError(f"{len(value)} tags (limit {MAX_TAGS})")
    tags: dict[str, str] = {}
    for key, tag_value in value.items():
        if isinstance(tag_value, bool | int | float):
            tag_value = json.dumps(tag_value)
        elif tag_value is None:
            tag_value = ""
        elif not isinstance(tag_value, str):
            raise ValueError(f"tag {visible(key)[:80]!r} must be text")
        tags[_checked(key, "tag name")] = _checked(tag_value, f"tag {visible(key)[:80]!r}")
    return tags

"""Triage actions: status with classification, assignment, comments, bulk and cascading changes.

Every change is checked against the version the analyst saw (optimistic concurrency) and written
with an audit row in the same short transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from tui.config import current_user
from tui.model import Classification, Status
from tui.store import Store, transaction
from tui.store import triage as db
from tui.store.db import ConflictError, StoreError

Target = tuple[str, int]  # ("alert" | "incident", id)
MAX_COMMENT = 10_000


@dataclass
class BulkResult:
    changed: list[Target] = field(default_factory=list)
    conflicts: list[tuple[Target, str]] = field(default_factory=list)


def _status_changes(
    status: Status, classification: Classification | None, comment: str
) -> dict[str, str]:
    if status in (Status.RESOLVED, Status.DISMISSED):
        if classification is None:
            raise StoreError(f"closing as {status.value} needs a classification")
        return {
            "status": status.value,
            "classification": classification.value,
            "classification_comment": comment,
        }
    # Reopening drops the earlier verdict: it no longer describes the alert's state.
    return {"status": status.value, "classification": "", "classification_comment": ""}


def set_status(
    store: Store,
    target: Target,
    status: Status,
    *,
    expected_version: int,
    classification: Classification | None = None,
    comment: str = "",
    cascade: bool = False,
    actor: str | None = None,
) -> int:
    """Change the status of an alert or incident; return its new version.

    With `cascade` (asked of the analyst, never implied), an incident's alerts get the same
    status; alerts changed meanwhile by someone else make the whole change fail.
    """
    actor = actor or current_user()
    changes = _status_changes(status, classification, _checked_comment(comment, required=False))
    kind, target_id = target
    with transaction(store.conn) as conn:
        version = db.update_triage(
            conn, kind, target_id, expected_version, changes, actor, "status"
        )
        if cascade and kind == "incident":
            for alert_id, alert_version in db.incident_alert_versions(conn, target_id):
                db.update_triage(
                    conn, "alert", alert_id, alert_version, changes, actor, "status (cascade)"
                )
    return version


def bulk_set_status(
    store: Store,
    targets: Sequence[tuple[Target, int]],
    status: Status,
    *,
    classification: Classification | None = None,
    comment: str = "",
    actor: str | None = None,
) -> BulkResult:
    """Apply one status to many (target, version) pairs in one transaction; report conflicts."""
    actor = actor or current_user()
    changes = _status_changes(status, classification, _checked_comment(comment, required=False))
    result = BulkResult()
    with transaction(store.conn) as conn:
        for target, version in targets:
            try:
                db.update_triage(conn, *target, version, changes, actor, "status")
                result.changed.append(target)
            except ConflictError as exc:
                result.conflicts.append((target, str(exc)))
    return result


def assign(
    store: Store, target: Target, owner: str, *, expected_version: int, actor: str | None = None
) -> int:
    """Assign to `owner` ('' unassigns); return the new version."""
    actor = actor or current_user()
    owner = owner.strip()
    if len(owner) > 100 or any(not ch.isprintable() for ch in owner):
        raise StoreError("an owner is a user name of at most 100 printable characters")
    with transaction(store.conn) as conn:
        return db.update_triage(conn, *target, expected_version, {"owner": owner}, actor, "assign")


def add_comment(store: Store, target: Target, body: str, actor: str | None = None) -> int:
    actor = actor or current_user()
    body = _checked_comment(body, required=True)
    with transaction(store.conn) as conn:
        db.get_triage(conn, *target)  # the target must exist
        return db.add_comment(conn, *target, body, actor)


def _checked_comment(body: str, *, required: bool) -> str:
    body = body.strip()
    if required and not body:
        raise StoreError("a comment cannot be empty")
    if len(body) > MAX_COMMENT:
        raise StoreError(f"a comment is at most {MAX_COMMENT:,} characters (got {len(body):,})")
    return body

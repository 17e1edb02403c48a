"""OCSF Detection Finding (class_uid 2004), OCSF 1.1-1.3.

Fields follow the schema at schema.ocsf.io (classes/detection_finding and the objects it uses:
finding_info, attack, resource_details, evidences, observable, remediation). `attacks` moved from
the top level into `finding_info` in 1.1; both places are read. Times are epoch milliseconds
(`time`, `finding_info.first_seen_time`) or `*_dt` strings.
"""

from __future__ import annotations

from tui.ingest import entities as ent
from tui.ingest import fields as f
from tui.ingest.entities import EntityList
from tui.ingest.errors import RecordError
from tui.model import Alert, Entity, EntityType, Severity, Status

FORMAT = "ocsf"
CLASS_UID = 2004
# severity_id: 0 Unknown, 1 Informational, 2 Low, 3 Medium, 4 High, 5 Critical, 6 Fatal, 99 Other
_SEVERITY = {
    0: Severity.INFORMATIONAL,
    1: Severity.INFORMATIONAL,
    2: Severity.LOW,
    3: Severity.MEDIUM,
    4: Severity.HIGH,
    5: Severity.HIGH,
    6: Severity.HIGH,
}
# status_id: 1 New, 2 In Progress, 3 Suppressed, 4 Resolved, 99 Other
_STATUS = {1: Status.ACTIVE, 2: Status.IN_PROGRESS, 3: Status.DISMISSED, 4: Status.RESOLVED}
# observable type_id -> entity type (OCSF observable.type_id enum)
_OBSERVABLES = {
    1: EntityType.HOST,
    2: EntityType.IP,
    4: EntityType.ACCOUNT,
    5: EntityType.MAILBOX,
    6: EntityType.URL,
    7: EntityType.FILE,
    8: EntityType.FILE_HASH,
    10: EntityType.AZURE_RESOURCE,
    13: EntityType.PROCESS,
}


def normalize(record: dict, raw: str) -> Alert:
    if record.get("class_uid") != CLASS_UID:
        raise RecordError(f"class_uid must be {CLASS_UID} (Detection Finding)")
    info = f.obj(record, "finding_info")
    source_id = f.identifier(info, "uid")
    start = _time(info, "first_seen_time") or _time(record, "time")
    if not start:
        raise RecordError("missing time")
    attacks = f.array(info, "attacks") or f.array(record, "attacks")
    technique_ids, tactics = _attacks(attacks)
    parents, subs = f.techniques(technique_ids)
    analytic = f.obj(info, "analytic")
    product = f.obj(f.obj(record, "metadata"), "product")
    found = _entities(record)
    resource = next((e.key for e in found if e.type is EntityType.AZURE_RESOURCE), "")
    return Alert(
        source_id=source_id,
        source_format=FORMAT,
        alert_type=f.text(analytic, "uid")
        or f.text(analytic, "name")
        or _first_type(info)
        or f.text(info, "title", required=True),
        alert_display_name=f.text(info, "title", required=True),
        severity=_severity(record),
        start_time_utc=start,
        end_time_utc=_time(info, "last_seen_time") or start,
        status=_STATUS.get(_code(record, "status_id"), Status.ACTIVE),
        description=f.text(info, "desc", limit=f.MAX_TEXT_CHARS),
        intent=f.intents(tactics),
        time_generated_utc=_time(info, "created_time") or _time(record, "time"),
        processing_end_time_utc=_time(info, "modified_time"),
        compromised_entity=next((e.display for e in found if e.type is EntityType.HOST), ""),
        resource_id=resource or "",
        remediation_steps=_remediation(f.obj(record, "remediation")),
        extended_properties={k: v for k, v in record.items() if k == "unmapped"},
        correlation_key=f.text(f.obj(record, "metadata"), "correlation_uid", limit=f.MAX_ID_CHARS),
        product_name=f.text(product, "name"),
        vendor_name=f.text(product, "vendor_name"),
        alert_uri=f.text(info, "src_url", limit=f.MAX_TEXT_CHARS),
        techniques=parents,
        sub_techniques=subs,
        entities=found,
        raw=raw,
    )


def _time(d: dict, key: str) -> str:
    """Epoch-millisecond `key`, or its `key_dt` ISO string; '' when absent."""
    if d.get(key) is not None:
        return f.iso_time(d[key], key)
    return f.time_field(d, f"{key}_dt", required=False)


def _code(record: dict, key: str) -> int | None:
    """An enum id; None when it is not an integer (a list or object would not even hash)."""
    value = record.get(key)
    return value if type(value) is int else None


def _severity(record: dict) -> Severity:
    sid = record.get("severity_id")
    if isinstance(sid, int) and not isinstance(sid, bool) and sid in _SEVERITY:
        return _SEVERITY[sid]
    if record.get("severity") is not None:
        return f.severity(record.get("severity"), "severity")
    raise RecordError(f"severity_id {str(sid)[:32]!r} is not a known severity")


def _first_type(info: dict) -> str:
    types = f.split_list(info.get("types"), "finding_info.types")
    return types[0] if types else ""


def _attacks(attacks: list) -> tuple[list[str], list[str]]:
    techniques, tactics = [], []
    for attack in attacks:
        if not isinstance(attack, dict):
            raise RecordError(f"attacks must hold objects, got {f.type_name(attack)}")
        for key in ("technique", "sub_technique"):
            uid = f.obj(attack, key).get("uid")
            if isinstance(uid, str):
                techniques.append(uid)
        tactic = f.obj(attack, "tactic").get("name")
        if isinstance(tactic, str):
            tactics.append(tactic)
        # OCSF 1.0 had a list of tactics per attack.
        tactics.extend(
            t["name"]
            for t in f.array(attack, "tactics")
            if isinstance(t, dict) and isinstance(t.get("name"), str)
        )
    return techniques, tactics


def _remediation(remediation: dict) -> list[str]:
    desc = f.text(remediation, "desc", limit=f.MAX_TEXT_CHARS)
    refs = [r for r in f.array(remediation, "references") if isinstance(r, str)]
    return [s for s in (desc, *refs) if s]


def _str(d: object, key: str) -> str:
    value = d.get(key) if isinstance(d, dict) else None
    return value if isinstance(value, str) else ""


def _entities(record: dict) -> list[Entity]:
    out = EntityList()
    device = f.obj(record, "device")
    host_key = _endpoint(device, out) if device else None
    for resource in f.array(record, "resources"):
        if isinstance(resource, dict):
            uid = _str(resource, "uid")
            if uid.lower().startswith("/subscriptions/"):
                out.add(ent.azure_resource(uid))
            elif uid or _str(resource, "name"):
                out.add(ent.make(EntityType.OTHER, uid or _str(resource, "name")))
    for evidence in f.array(record, "evidences"):
        if isinstance(evidence, dict):
            host_key = _evidence(evidence, out, host_key)
    for observable in f.array(record, "observables"):
        if isinstance(observable, dict) and _code(observable, "type_id") in _OBSERVABLES:
            kind = _OBSERVABLES[observable["type_id"]]
            value = _str(observable, "value")
            out.add(
                ent.process(value, host_key)
                if kind is EntityType.PROCESS
                else ent.make(kind, value)
            )
    return out.items


def _endpoint(endpoint: dict, out: EntityList) -> str | None:
    """Add a device/endpoint's host and IP; return the host's key."""
    name = _str(endpoint, "hostname") or _str(endpoint, "name")
    host = out.add(ent.host(name, _str(endpoint, "domain"))) if name else None
    out.add(ent.ip(_str(endpoint, "ip")))
    return host.key if host else None


def _user(user: dict) -> Entity:
    return ent.account(
        _str(user, "name"),
        _str(user, "domain"),
        upn=_str(user, "email_addr") if "@" in _str(user, "name") else "",
        sid=_str(user, "uid") if _str(user, "uid").upper().startswith("S-1-") else "",
    )


def _file(file: dict, out: EntityList) -> None:
    path = _str(file, "path") or _str(file, "name")
    out.add(ent.make(EntityType.FILE, path))
    for h in f.array(file, "hashes"):
        out.add(ent.file_hash(_str(h, "value"), _str(h, "algorithm")))


def _process(process: dict, out: EntityList, host_key: str | None) -> None:
    out.add(ent.process(_str(process, "cmd_line"), host_key))
    if isinstance(process.get("file"), dict):
        _file(process["file"], out)
    if isinstance(process.get("user"), dict):
        out.add(_user(process["user"]))


def _evidence(evidence: dict, out: EntityList, host_key: str | None) -> str | None:
    for key in ("device", "src_endpoint", "dst_endpoint"):
        if isinstance(evidence.get(key), dict):
            host_key = _endpoint(evidence[key], out) or host_key
    if isinstance(evidence.get("process"), dict):
        _process(evidence["process"], out, host_key)
    actor = evidence.get("actor") if isinstance(evidence.get("actor"), dict) else {}
    if isinstance(actor.get("process"), dict):
        _process(actor["process"], out, host_key)
    for user in (evidence.get("user"), actor.get("user")):
        if isinstance(user, dict):
            out.add(_user(user))
    if isinstance(evidence.get("file"), dict):
        _file(evidence["file"], out)
    out.add(ent.url(_str(evidence.get("url"), "url_string")))
    out.add(ent.dns(_str(evidence.get("query"), "hostname")))
    return host_key

"""Microsoft Graph security `alert` resources (`/security/alerts_v2`, Defender XDR).

Evidence comes as `evidence[]` of many `@odata.type`s; `recommendedActions` is one string with
bullets (the docs' example carries mangled bullets, U+FFFD); `category` is the ATT&CK tactic.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from tui.ingest import entities as ent
from tui.ingest import fields as f
from tui.model import Alert, Entity, EntityType

FORMAT = "graph"
_BULLET = re.compile(r"^[\s\u2022\u00b7\u25aa\u25cf\ufffd*\-]+")
_STATUS = {"new": "Active", "inprogress": "InProgress", "resolved": "Resolved"}


def normalize(record: dict, raw: str) -> Alert:
    source_id = f.identifier(record, "id")
    first = f.time_field(record, "firstActivityDateTime", required=False) or f.time_field(
        record, "createdDateTime"
    )
    parents, subs = f.techniques(f.split_list(record.get("mitreTechniques"), "mitreTechniques"))
    found, compromised = evidence_entities(f.array(record, "evidence"))
    status = f.text(record, "status").lower()
    return Alert(
        source_id=source_id,
        source_format=FORMAT,
        alert_type=f.text(record, "detectorId") or f.text(record, "title", required=True),
        alert_display_name=f.text(record, "title", required=True),
        severity=f.severity(record.get("severity"), "severity"),
        start_time_utc=first,
        end_time_utc=f.time_field(record, "lastActivityDateTime", required=False, default=first),
        status=f.status(_STATUS.get(status, status), "status"),
        description=f.text(record, "description", limit=f.MAX_TEXT_CHARS),
        intent=f.intents([f.text(record, "category")]),
        system_alert_id=f.text(record, "providerAlertId", limit=f.MAX_ID_CHARS),
        time_generated_utc=f.time_field(record, "createdDateTime", required=False),
        processing_end_time_utc=f.time_field(record, "lastUpdateDateTime", required=False),
        compromised_entity=compromised,
        resource_id=next((e.key for e in found if e.type is EntityType.AZURE_RESOURCE), "") or "",
        remediation_steps=steps(f.text(record, "recommendedActions", limit=f.MAX_TEXT_CHARS)),
        extended_properties=_extended(record),
        product_name=f.text(record, "serviceSource"),
        vendor_name="Microsoft",
        product_component_name=f.text(record, "detectionSource"),
        alert_uri=f.text(record, "alertWebUrl", limit=f.MAX_TEXT_CHARS),
        techniques=parents,
        sub_techniques=subs,
        source_incident_id=f.text(record, "incidentId", limit=f.MAX_ID_CHARS),
        entities=found,
        raw=raw,
    )


def steps(text: str) -> list[str]:
    """One step per non-empty line, bullets removed."""
    return [s for s in (_BULLET.sub("", line).strip() for line in text.splitlines()) if s]


def _extended(record: dict) -> dict:
    keys = (
        "classification",
        "determination",
        "threatDisplayName",
        "threatFamilyName",
        "actorDisplayName",
        "assignedTo",
        "tenantId",
        "incidentWebUrl",
    )
    return {k: record[k] for k in keys if record.get(k) not in (None, "")}


def _str(d: dict, key: str) -> str:
    value = d.get(key)
    return value if isinstance(value, str) else ""


def _sub(d: dict, key: str) -> dict:
    value = d.get(key)
    return value if isinstance(value, dict) else {}


def evidence_entities(evidence: list) -> tuple[list[Entity], str]:
    """Entities of every evidence item, and the name of the compromised device (if any)."""
    out = ent.EntityList()
    devices = {}
    compromised = ""
    for item in evidence:
        if isinstance(item, dict) and _str(item, "@odata.type").endswith("deviceEvidence"):
            device = out.add(_device(item))
            devices[_str(item, "mdeDeviceId")] = device.key
            if not compromised or "compromised" in (item.get("roles") or []):
                compromised = device.display
    for item in evidence:
        if not isinstance(item, dict):
            continue
        kind = _str(item, "@odata.type").rsplit(".", 1)[-1]
        builder = _BUILDERS.get(kind)
        if builder is not None:
            for entity in builder(item, devices.get(_str(item, "mdeDeviceId"))):
                out.add(entity)
    return out.items, compromised


def _device(e: dict) -> Entity:
    return ent.host(_str(e, "deviceDnsName") or _str(e, "hostName"), _str(e, "ntDomain"))


def _account(a: dict) -> Entity:
    return ent.account(
        _str(a, "accountName"),
        _str(a, "domainName"),
        upn=_str(a, "userPrincipalName"),
        sid=_str(a, "userSid"),
        object_id=_str(a, "azureAdUserId"),
    )


def _file(details: dict) -> list[Entity]:
    return [
        ent.file(_str(details, "fileName"), _str(details, "filePath")),
        ent.file_hash(_str(details, "sha256"), "SHA256"),
        ent.file_hash(_str(details, "sha1"), "SHA1"),
    ]


def _device_items(e: dict, host_key: str | None) -> list[Entity]:
    found = [ent.azure_resource(_str(_sub(e, "vmMetadata"), "resourceId"))]
    for user in e.get("loggedOnUsers") or []:
        if isinstance(user, dict):
            found.append(ent.account(_str(user, "accountName"), _str(user, "domainName")))
    for address in e.get("ipInterfaces") or []:
        if isinstance(address, str):
            found.append(ent.ip(address))
    return found


def _process(e: dict, host_key: str | None) -> list[Entity]:
    return [
        ent.process(_str(e, "processCommandLine"), host_key),
        *_file(_sub(e, "imageFile")),
        _account(_sub(e, "userAccount")),
    ]


def _mailbox(e: dict, host_key: str | None) -> list[Entity]:
    mailbox = ent.make(EntityType.MAILBOX, _str(e, "primaryAddress"))
    return [mailbox, _account(_sub(e, "userAccount"))]


def _message(e: dict, host_key: str | None) -> list[Entity]:
    return [
        ent.make(EntityType.MAIL_MESSAGE, _str(e, "subject"), _str(e, "internetMessageId")),
        ent.make(EntityType.MAILBOX, _str(_sub(e, "p1Sender"), "emailAddress")),
        ent.make(EntityType.MAILBOX, _str(e, "recipientEmailAddress")),
        ent.ip(_str(e, "senderIp")),
    ]


def _registry_key(e: dict, host_key: str | None) -> list[Entity]:
    path = "\\".join(p for p in (_str(e, "registryHive"), _str(e, "registryKey")) if p)
    return [ent.make(EntityType.REGISTRY_KEY, path)]


def _registry_value(e: dict, host_key: str | None) -> list[Entity]:
    parts = (_str(e, "registryHive"), _str(e, "registryKey"), _str(e, "registryValueName"))
    return [ent.make(EntityType.REGISTRY_VALUE, "\\".join(p for p in parts if p))]


def _named(kind: EntityType, key: str) -> Callable[[dict, str | None], list[Entity]]:
    return lambda e, host_key: [ent.make(kind, _str(e, key))]


_BUILDERS: dict[str, Callable[[dict, str | None], list[Entity]]] = {
    "deviceEvidence": _device_items,
    "fileEvidence": lambda e, h: _file(_sub(e, "fileDetails")),
    "processEvidence": _process,
    "userEvidence": lambda e, h: [_account(_sub(e, "userAccount"))],
    "ipEvidence": lambda e, h: [ent.ip(_str(e, "ipAddress"))],
    "urlEvidence": lambda e, h: [ent.url(_str(e, "url"))],
    "mailboxEvidence": _mailbox,
    "analyzedMessageEvidence": _message,
    "registryKeyEvidence": _registry_key,
    "registryValueEvidence": _registry_value,
    "cloudApplicationEvidence": _named(EntityType.CLOUD_APPLICATION, "displayName"),
    "oauthApplicationEvidence": _named(EntityType.CLOUD_APPLICATION, "displayName"),
    "azureResourceEvidence": lambda e, h: [ent.azure_resource(_str(e, "resourceId"))],
    "securityGroupEvidence": _named(EntityType.SECURITY_GROUP, "displayName"),
    "malwareEvidence": _named(EntityType.MALWARE, "name"),
    "dnsEvidence": lambda e, h: [ent.dns(_str(e, "domainName"))],
    "kubernetesPodEvidence": _named(EntityType.K8S, "name"),
    "kubernetesClusterEvidence": _named(EntityType.K8S, "name"),
    "kubernetesNamespaceEvidence": _named(EntityType.K8S, "name"),
}

"""Entity builders shared by every adapter, and the Defender/Sentinel entity graph.

Each builder returns an Entity whose key is the normalized strong key (DESIGN §3) or None for
placeholders; `EntityList` drops keyless and repeated entities. Defender for Cloud and Sentinel
share one entity schema (camelCase in the REST API, PascalCase in Log Analytics) in which an
entity refers to another by `{"$ref": "<$id>"}`.
"""

from __future__ import annotations

import re
from typing import Any

from tui.model import Entity, EntityType, entity_key
from tui.model.alert import PLACEHOLDERS

# SIDs of built-in service accounts: shared by every Windows machine, so never evidence.
_SERVICE_SIDS = frozenset({"s-1-5-18", "s-1-5-19", "s-1-5-20"})
_SID = re.compile(r"S-1-\d+(-\d+)+", re.IGNORECASE)
_VM_ID = re.compile(r"/providers/microsoft\.compute/virtualmachines/([^/]+)$", re.IGNORECASE)
_MAX_DATA_VALUE = 1024  # entity data keeps short scalar attributes only; raw keeps everything


def _present(value: object) -> bool:
    return isinstance(value, str) and value.strip().lower() not in PLACEHOLDERS


def make(kind: EntityType, display: str, key_value: str | None = None, /, **data: Any) -> Entity:
    key = entity_key(kind, key_value if key_value is not None else display)
    return Entity(kind, display, key, data)


def host(name: str, domain: str = "", **data: Any) -> Entity:
    """A host keyed by its FQDN when the domain is known, else by its name (lower-cased)."""
    name = name.strip()
    if _present(name) and _present(domain) and "." not in name:
        name = f"{name}.{domain.strip()}"
    return make(EntityType.HOST, name, **data)


def host_from_resource_id(resource_id: str) -> str:
    """'vm1' from a virtual machine's Azure resource id, else ''."""
    match = _VM_ID.search(resource_id)
    return match.group(1) if match else ""


def account(
    name: str = "", domain: str = "", *, upn: str = "", sid: str = "", object_id: str = ""
) -> Entity:
    """An account keyed by UPN, else SID, else Azure AD object id, else name@domain."""
    if (name.strip() and not _present(name)) or sid.strip().lower() in _SERVICE_SIDS:
        return Entity(EntityType.ACCOUNT, name or sid, None)  # SYSTEM, LOCAL SERVICE, ...
    display = upn or (f"{domain}\\{name}" if _present(domain) and name else name)
    if _present(upn):
        key = upn
    elif _SID.fullmatch(sid.strip()):
        key = sid.upper()
    elif _present(object_id):
        key = object_id
    elif _present(name):
        key = f"{name}@{domain}" if _present(domain) else name
    else:
        key = ""
    return make(EntityType.ACCOUNT, display or key, key, sid=sid, upn=upn)


def ip(address: str, **data: Any) -> Entity:
    return make(EntityType.IP, address, **data)


def file(name: str, directory: str = "") -> Entity:
    directory = directory.rstrip("\\/")
    if directory and _present(name):
        sep = "\\" if "\\" in directory or ":" in directory else "/"
        path = f"{directory}{sep}{name}"
    else:
        path = name
    return make(EntityType.FILE, path, directory=directory)


def file_hash(value: str, algorithm: str = "") -> Entity:
    return make(EntityType.FILE_HASH, value, algorithm=algorithm)


def process(command_line: str, host_key: str | None) -> Entity:
    """A process keyed by its command line on its host: the same command elsewhere differs."""
    if not _present(command_line):
        return Entity(EntityType.PROCESS, command_line, None)
    key_value = f"{host_key or ''}|{command_line.strip()}"
    return make(EntityType.PROCESS, command_line, key_value, host=host_key or "")


def url(value: str) -> Entity:
    return make(EntityType.URL, value)


def dns(domain: str) -> Entity:
    return make(EntityType.DNS, domain.rstrip("."))


def azure_resource(resource_id: str) -> Entity:
    return make(EntityType.AZURE_RESOURCE, resource_id.lower())


class EntityList:
    """The entities of one alert, each (type, key) once, placeholders dropped."""

    def __init__(self) -> None:
        self.items: list[Entity] = []
        self._seen: set[tuple[EntityType, str]] = set()

    def add(self, entity: Entity) -> Entity:
        if entity.key is not None and (entity.type, entity.key) not in self._seen:
            self._seen.add((entity.type, entity.key))
            self.items.append(entity)
        return entity

    def first_key(self, kind: EntityType) -> str | None:
        return next((e.key for e in self.items if e.type is kind), None)


# --- Defender for Cloud / Sentinel entity schema -------------------------------------------


def _lower_keys(entity: dict) -> dict[str, Any]:
    return {k.lower(): v for k, v in entity.items()}


def resolve_refs(nodes: list[Any]) -> list[dict]:
    """The entity objects of `nodes`, keys lower-cased (the REST API writes camelCase, Log
    Analytics PascalCase), with each `{"$ref": id}` attribute (or list item) replaced by the
    entity it names.

    The REST API defines every entity once, at the top of `entities` or inline in the first
    entity that uses it, and refers to it by `$ref`; Log Analytics repeats referenced entities
    inline instead, which needs no resolving. References are resolved one level deep: enough to
    find a process's host or a file's hashes, and no attacker-controlled recursion.
    """
    by_id = _referable(nodes)

    def resolve(value: Any) -> Any:
        if type(value) is dict and len(value) == 1 and "$ref" in value:
            ref = value["$ref"]  # every id is a string; a list or object here is unhashable
            return by_id.get(ref, {}) if type(ref) is str else {}
        if type(value) is list:
            return [resolve(item) for item in value]
        return value

    # Most attributes are scalars: testing the type inline saves a call for each of them.
    return [
        {k.lower(): resolve(v) if type(v) in _CONTAINERS else v for k, v in node.items()}
        for node in map(resolve, nodes)
        if type(node) is dict
    ]


_CONTAINERS = (dict, list)


def _referable(nodes: list[Any]) -> dict[str, dict]:
    """Entities by `$id`, the first definition winning: the top-level ones and those defined
    inline as an attribute of an earlier entity."""
    by_id: dict[str, dict] = {}
    for node in nodes:
        if type(node) is not dict:
            continue
        if type(node.get("$id")) is str:
            by_id.setdefault(node["$id"], node)
        for item in node.values():
            if type(item) is dict and type(item.get("$id")) is str:
                by_id.setdefault(item["$id"], item)
    return by_id


def _s(entity: dict, key: str) -> str:
    value = entity.get(key)
    return value if isinstance(value, str) else ""


def _host_of(entity: dict) -> Entity | None:
    """The host entity an entity refers to (its `host` attribute), if any."""
    ref = entity.get("host")
    return defender_host(_lower_keys(ref)) if isinstance(ref, dict) else None


def defender_host(e: dict) -> Entity:
    name = _s(e, "hostname") or _s(e, "netbiosname") or host_from_resource_id(_s(e, "azureid"))
    return host(name, _s(e, "dnsdomain"), os=_s(e, "osfamily") or _s(e, "ostype"))


def defender_entities(nodes: list[Any], resource_ids: list[str]) -> list[Entity]:
    """Entities of a Defender/Sentinel alert: the `$ref` graph resolved, keys normalized."""
    out = EntityList()
    for resource_id in resource_ids:
        out.add(azure_resource(resource_id))
    for e in resolve_refs(nodes):
        kind = _s(e, "type").lower()
        builder = _BUILDERS.get(kind) or (_k8s if kind.startswith("k8s") else None)
        if builder is not None:
            for entity in builder(e, out):
                out.add(entity)
    return out.items


def _host(e: dict, out: EntityList) -> list[Entity]:
    found = [defender_host(e)]
    if _s(e, "azureid"):
        found.append(azure_resource(_s(e, "azureid")))
    return found


def _account(e: dict, out: EntityList) -> list[Entity]:
    upn = _s(e, "upn") or (
        f"{_s(e, 'name')}@{_s(e, 'upnsuffix')}" if _s(e, "upnsuffix") and _s(e, "name") else ""
    )
    return [
        account(
            _s(e, "name"),
            _s(e, "ntdomain") or _s(e, "dnsdomain"),
            upn=upn,
            sid=_s(e, "sid"),
            object_id=_s(e, "aaduserid"),
        )
    ]


def _ip(e: dict, out: EntityList) -> list[Entity]:
    location = e.get("location") if isinstance(e.get("location"), dict) else {}
    country = location.get("countryCode", "")
    return [ip(_s(e, "address"), country=country if isinstance(country, str) else "")]


def _file(e: dict, out: EntityList) -> list[Entity]:
    found = [file(_s(e, "name"), _s(e, "directory"))]
    hashes = e.get("filehashes")
    for h in hashes if type(hashes) is list else ():
        if isinstance(h, dict):
            found.extend(_hash(_lower_keys(h), out))
    return found


def _hash(e: dict, out: EntityList) -> list[Entity]:
    return [file_hash(_s(e, "value"), _s(e, "algorithm"))]


def _process(e: dict, out: EntityList) -> list[Entity]:
    host_entity = _host_of(e)
    host_key = host_entity.key if host_entity else out.first_key(EntityType.HOST)
    found = [process(_s(e, "commandline"), host_key)]
    if host_entity is not None:
        found.append(host_entity)
    image = e.get("imagefile")
    if isinstance(image, dict):
        found.extend(_file(_lower_keys(image), out))
    return found


def _url(e: dict, out: EntityList) -> list[Entity]:
    return [url(_s(e, "url"))]


def _dns(e: dict, out: EntityList) -> list[Entity]:
    return [dns(_s(e, "domainname"))]


def _resource(e: dict, out: EntityList) -> list[Entity]:
    return [azure_resource(_s(e, "resourceid"))]


def _mailbox(e: dict, out: EntityList) -> list[Entity]:
    address = _s(e, "mailboxprimaryaddress") or _s(e, "upn")
    return [make(EntityType.MAILBOX, address)]


def _mail_message(e: dict, out: EntityList) -> list[Entity]:
    found = [make(EntityType.MAIL_MESSAGE, _s(e, "subject"), _s(e, "internetmessageid"))]
    if _s(e, "sender"):
        found.append(make(EntityType.MAILBOX, _s(e, "sender")))
    if _s(e, "senderip"):
        found.append(ip(_s(e, "senderip")))
    return found


def _cloud_app(e: dict, out: EntityList) -> list[Entity]:
    name = _s(e, "name") or _s(e, "appid") or str(e.get("appid") or "")
    return [make(EntityType.CLOUD_APPLICATION, name)]


def _registry_key(e: dict, out: EntityList) -> list[Entity]:
    path = "\\".join(p for p in (_s(e, "hive"), _s(e, "key")) if p)
    return [make(EntityType.REGISTRY_KEY, path)]


def _registry_value(e: dict, out: EntityList) -> list[Entity]:
    key = _lower_keys(e["key"]) if isinstance(e.get("key"), dict) else {}
    parent = "\\".join(p for p in (_s(key, "hive"), _s(key, "key")) if p)
    path = f"{parent}\\{_s(e, 'name')}" if parent else _s(e, "name")
    return [make(EntityType.REGISTRY_VALUE, path, value=_s(e, "value")[:_MAX_DATA_VALUE])]


def _security_group(e: dict, out: EntityList) -> list[Entity]:
    name = _s(e, "distinguishedname") or _s(e, "sid") or _s(e, "objectguid")
    return [make(EntityType.SECURITY_GROUP, name)]


def _malware(e: dict, out: EntityList) -> list[Entity]:
    return [make(EntityType.MALWARE, _s(e, "name"), category=_s(e, "category"))]


def _k8s(e: dict, out: EntityList) -> list[Entity]:
    name = _s(e, "name")
    return [make(EntityType.K8S, f"{_s(e, 'type')}/{name}" if name else "", kind=_s(e, "type"))]


_BUILDERS = {
    "host": _host,
    "account": _account,
    "ip": _ip,
    "file": _file,
    "filehash": _hash,
    "process": _process,
    "url": _url,
    "dns": _dns,
    "azure-resource": _resource,
    "mailbox": _mailbox,
    "mail-message": _mail_message,
    "cloud-application": _cloud_app,
    "registry-key": _registry_key,
    "registry-value": _registry_value,
    "security-group": _security_group,
    "malware": _malware,
}

"""Evidence roles of demo stages, built into Defender alert entities.

Defender returns an alert's entities either as a graph (each entity has a `$id`; references are
`{"$ref": id}`) or with referenced entities repeated inline; the demo produces both. A role is
built at most once per alert, so the process, the account and the host refer to one host entity.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from tui.ingest.demo_tenant import DOMAIN, NT_DOMAIN

Entity = dict[str, Any]
SYSTEM_SID = "S-1-5-18"


class AlertEntities:
    """The entity list of one alert; `ref(role)` builds a role once and returns a reference."""

    __slots__ = ("_machine", "_next", "_prefix", "_refs", "ctx", "graph", "items")

    def __init__(self, ctx: dict[str, Any], graph: bool, prefix: str) -> None:
        self.ctx = ctx
        self.graph = graph
        self.items: list[Entity] = []
        self._refs: dict[str, Entity | None] = {}
        self._prefix = prefix
        self._next = 1
        self._machine = _machine_role(ctx["evidence"])

    def next_id(self) -> str:
        eid = f"{self._prefix}_{self._next}"
        self._next += 1
        return eid

    def add(self, entity: Entity) -> Entity:
        if not self.graph:
            self.items.append(entity)
            return entity
        eid = f"{self._prefix}_{self._next}"
        self._next += 1
        self.items.append({"$id": eid, **entity})
        return {"$ref": eid}

    def ref(self, role: str) -> Entity | None:
        refs = self._refs
        if role not in refs:
            entity = ROLES[role](self)
            refs[role] = None if entity is None else self.add(entity)
        return refs[role]

    def machine(self) -> Entity | None:
        """The host the stage happens on: a VM, a Kubernetes node or an App Service site."""
        return self.ref(self._machine) if self._machine else None


@lru_cache(maxsize=256)
def _machine_role(evidence: tuple[str, ...]) -> str:
    return next((role for role in ("host", "node", "site") if role in evidence), "")


def _ip(address_key: str, geo_key: str = "") -> Callable[[AlertEntities], Entity]:
    def build(e: AlertEntities) -> Entity:
        if not geo_key:  # private addresses carry no location
            return {"address": e.ctx[address_key], "type": "ip"}
        return {"address": e.ctx[address_key], "location": e.ctx[geo_key], "type": "ip"}

    return build


def _host(e: AlertEntities) -> Entity:
    ctx = e.ctx
    windows = ctx["os"] == "Windows"
    return {
        "dnsDomain": DOMAIN if windows else "",
        "ntDomain": NT_DOMAIN if windows else "",
        "hostName": ctx["host"],
        "netBiosName": ctx["host"].upper()[:15] if windows else ctx["host"],
        "azureID": ctx["resource_id"],
        "omsAgentID": ctx["agent_id"],
        "osFamily": ctx["os"],
        "isDomainJoined": windows,
        "type": "host",
    }


def _dc(e: AlertEntities) -> Entity:
    dc = e.ctx["dc"]
    return {
        "dnsDomain": DOMAIN,
        "ntDomain": NT_DOMAIN,
        "hostName": dc.name,
        "netBiosName": dc.name.upper(),
        "azureID": dc.id,
        "osFamily": "Windows",
        "isDomainJoined": True,
        "type": "host",
    }


def _node(e: AlertEntities) -> Entity:
    return {"hostName": e.ctx["node"], "osFamily": "Linux", "type": "host"}


def _site(e: AlertEntities) -> Entity:
    return {"hostName": e.ctx["host"], "azureID": e.ctx["resource_id"], "type": "host"}


def _resource(e: AlertEntities) -> Entity:
    return {"resourceId": e.ctx["resource_id"], "type": "azure-resource"}


def _cluster(e: AlertEntities) -> Entity:
    return {"name": e.ctx["host"], "cloudResource": e.ref("resource"), "type": "K8s-cluster"}


def _namespace(e: AlertEntities) -> Entity:
    return {"name": e.ctx["namespace"], "cluster": e.ref("cluster"), "type": "K8s-namespace"}


def _pod(e: AlertEntities) -> Entity:
    return {"name": e.ctx["pod"], "namespace": e.ref("namespace"), "type": "K8s-pod"}


def _image(e: AlertEntities) -> Entity:
    return {"imageId": e.ctx["image"], "type": "container-image"}


def _account(e: AlertEntities) -> Entity:
    ctx = e.ctx
    entity: Entity = {"name": ctx["account"], "host": e.machine(), "type": "account"}
    if ctx["os"] == "Windows":
        entity |= {"ntDomain": ctx["host"], "sid": ctx["account_sid"], "isDomainJoined": False}
    return entity


def _system(e: AlertEntities) -> Entity:
    return {
        "name": "SYSTEM",
        "ntDomain": "NT AUTHORITY",
        "sid": SYSTEM_SID,
        "host": e.machine(),
        "type": "account",
    }


def _root(e: AlertEntities) -> Entity:
    return {"name": "root", "host": e.machine(), "type": "account"}


def _svc_account(e: AlertEntities) -> Entity:
    return {
        "name": e.ctx["svc_account"],
        "ntDomain": NT_DOMAIN,
        "upnSuffix": DOMAIN,
        "sid": e.ctx["svc_sid"],
        "isDomainJoined": True,
        "type": "account",
    }


def _aad_user(e: AlertEntities) -> Entity:
    name, suffix = e.ctx["upn"].split("@")
    return {
        "name": name,
        "upnSuffix": suffix,
        "aadUserId": e.ctx["aad_id"],
        "aadTenantId": e.ctx["tenant_id"],
        "type": "account",
    }


def _etl_principal(e: AlertEntities) -> Entity:
    return {"name": "sp-etl-ingest", "aadUserId": e.ctx["etl_app_id"], "type": "account"}


def _image_file(e: AlertEntities) -> Entity:
    path = e.ctx["command"].split(" ", 1)[0].strip('"')
    sep = "\\" if "\\" in path else "/"
    directory, _, name = path.rpartition(sep)
    return {"directory": directory, "name": name, "type": "file"}


def _process(e: AlertEntities) -> Entity:
    ctx = e.ctx
    image = ctx["command"].split(" ", 1)[0].strip('"')
    runs_payload = "payload" in ctx["evidence"] and image.endswith(ctx["payload"])
    entity: Entity = {
        "processId": ctx["pid"],
        "commandLine": ctx["command"],
        "creationTimeUtc": ctx["time"],
        "imageFile": e.ref("payload" if runs_payload else "image_file"),
    }
    if ctx["run_as"]:
        entity["account"] = e.ref(ctx["run_as"])
    entity["host"] = e.machine()
    entity["type"] = "process"
    return entity


def _file_hash(e: AlertEntities) -> Entity:
    return {"algorithm": "SHA256", "value": e.ctx["payload_sha256"], "type": "filehash"}


def _payload(e: AlertEntities) -> Entity:
    return {
        "directory": e.ctx["payload_dir"],
        "name": e.ctx["payload"],
        "fileHashes": [e.ref("file_hash")],
        "type": "file",
    }


def _url(key: str) -> Callable[[AlertEntities], Entity]:
    def build(e: AlertEntities) -> Entity:
        return {"url": e.ctx[key], "type": "url"}

    return build


def _domain(e: AlertEntities) -> Entity:
    return {"domainName": e.ctx["pool_domain"], "type": "dns"}


def _connection(source: str, destination: str, port: int) -> Callable[[AlertEntities], Entity]:
    def build(e: AlertEntities) -> Entity:
        return {
            "sourceAddress": e.ref(source),
            "destinationAddress": e.ref(destination),
            "destinationPort": port,
            "protocol": "Tcp",
            "type": "network-connection",
        }

    return build


def _scanners(e: AlertEntities) -> None:
    """Several scanner IPs, each with its connection: added here, so the role itself is None."""
    port = e.ctx["scan_port"]
    for address, geo in e.ctx["scanner_ips"]:
        ip = e.add({"address": address, "location": geo, "type": "ip"})
        e.add(
            {
                "sourceAddress": ip,
                "destinationPort": port,
                "protocol": "Tcp",
                "type": "network-connection",
            }
        )


ROLES: dict[str, Callable[[AlertEntities], Entity | None]] = {
    "host": _host,
    "dc": _dc,
    "node": _node,
    "site": _site,
    "resource": _resource,
    "cluster": _cluster,
    "namespace": _namespace,
    "pod": _pod,
    "image": _image,
    "account": _account,
    "system": _system,
    "root": _root,
    "svc_account": _svc_account,
    "aad_user": _aad_user,
    "etl_principal": _etl_principal,
    "process": _process,
    "image_file": _image_file,
    "payload": _payload,
    "file_hash": _file_hash,
    "url": _url("c2_url"),
    "site_url": _url("site_url"),
    "shell_url": _url("shell_url"),
    "domain": _domain,
    "attacker_ip": _ip("attacker_ip", "attacker_geo"),
    "c2_ip": _ip("c2_ip", "c2_geo"),
    "nat_ip": _ip("nat_ip", "nat_geo"),
    "host_ip": _ip("host_ip"),
    "dc_ip": _ip("dc_ip"),
    "inbound_rdp": _connection("attacker_ip", "host_ip", 3389),
    "inbound_ssh": _connection("attacker_ip", "host_ip", 22),
    "rdp_to_dc": _connection("host_ip", "dc_ip", 3389),
    "egress": _connection("nat_ip", "c2_ip", 443),
    "scanner_ips": _scanners,
}


def add_evidence(entities: AlertEntities) -> list[Entity]:
    """The entities of one alert: its resource first, then each evidence role of the stage."""
    entities.ref("resource")
    for role in entities.ctx["evidence"]:
        entities.ref(role)
    return entities.items

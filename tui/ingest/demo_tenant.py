"""The fictional Contoso tenant behind the demo alerts: subscriptions, resources, shared infra.

Every resource is a pure function of (seed, pool, index), so the inventory can be written after
the alerts by re-deriving each resource instead of keeping a million of them in memory.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")

DOMAIN = "corp.contoso.com"
NT_DOMAIN = "CONTOSO"

# (name prefix, ARM type, Resource Graph kind) per catalog resource kind.
KINDS = {
    "windows-vm": ("vm", "Microsoft.Compute/virtualMachines", ""),
    "linux-vm": ("lx", "Microsoft.Compute/virtualMachines", ""),
    "kubernetes": ("aks", "Microsoft.ContainerService/managedClusters", ""),
    "key-vault": ("kv", "Microsoft.KeyVault/vaults", ""),
    "app-service": ("app", "Microsoft.Web/sites", "app,linux"),
    "storage": ("st", "Microsoft.Storage/storageAccounts", "StorageV2"),
}
RESOURCE_TYPES = {
    "windows-vm": "Virtual Machine",
    "linux-vm": "Virtual Machine",
    "kubernetes": "Kubernetes Service",
    "key-vault": "Key Vault",
    "app-service": "App Service",
    "storage": "Storage",
}
# application -> (owner, cost centre)
APPLICATIONS = {
    "payments": ("payments-team@contoso.com", "CC-4410"),
    "crm": ("crm-ops@contoso.com", "CC-2120"),
    "hrportal": ("hr-it@contoso.com", "CC-3300"),
    "datalake": ("data-platform@contoso.com", "CC-5150"),
    "webshop": ("ecommerce@contoso.com", "CC-4420"),
    "billing": ("billing-dev@contoso.com", "CC-4415"),
    "analytics": ("bi-team@contoso.com", "CC-5160"),
    "logistics": ("supply-chain-it@contoso.com", "CC-6010"),
    "identity": ("identity-team@contoso.com", "CC-1000"),
    "cicd": ("platform-eng@contoso.com", "CC-1200"),
}
_APPS = tuple(a for a in APPLICATIONS if a not in ("identity", "cicd"))
LOCATIONS = ("westeurope", "northeurope", "eastus", "eastus2", "uksouth")
ENVIRONMENTS = ("prod", "prod", "prod", "staging", "dev")


@dataclass(frozen=True, slots=True)
class Pool:
    """A family of resources of one kind; `name` formats the resource name from app and index."""

    key: str
    kind: str
    name: str
    application: str = ""  # fixed application, else drawn per resource
    environment: str = ""  # fixed environment, else drawn per resource


# Scenario victims get a fresh resource each; noise comes from small fixed pools.
VICTIM_POOLS = {
    kind: Pool(f"victim-{kind}", kind, prefix + "-{app}-{index:05d}")
    for kind, (prefix, _t, _k) in KINDS.items()
}
VICTIM_POOLS["storage"] = Pool("victim-storage", "storage", "st{app}{index:05d}")
EDGE_VMS = Pool("edge", "windows-vm", "vm-{app}-edge{index:03d}")
BACKUP_SERVERS = Pool("backup", "windows-vm", "vm-bkp-{index:02d}", "datalake", "prod")
CI_CLUSTERS = Pool("ci", "kubernetes", "aks-ci-{index:02d}", "cicd", "dev")
WEB_APPS = Pool("web", "app-service", "app-{app}-web{index:02d}")
DATA_STORES = Pool("data", "storage", "st{app}data{index:02d}", "", "prod")
DOMAIN_CONTROLLERS = Pool("dc", "windows-vm", "dc01", "identity", "prod")
NOISE_POOL_SIZES = {
    EDGE_VMS: 120,
    BACKUP_SERVERS: 8,
    CI_CLUSTERS: 6,
    WEB_APPS: 40,
    DATA_STORES: 25,
    DOMAIN_CONTROLLERS: 1,
}


@dataclass(frozen=True, slots=True)
class DemoResource:
    id: str  # as Azure spells it (mixed case); the store keys on the lower-cased form
    name: str
    kind: str
    location: str
    resource_group: str
    subscription_id: str
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def resource_type(self) -> str:
        return RESOURCE_TYPES[self.kind]

    @property
    def fqdn(self) -> str:
        return f"{self.name}.{DOMAIN}"

    def inventory_row(self, tenant_id: str) -> dict[str, Any]:
        """The resource as `az graph query` returns it."""
        _prefix, arm_type, arg_kind = KINDS[self.kind]
        return {
            "id": self.id,
            "name": self.name,
            "type": arm_type.lower(),
            "tenantId": tenant_id,
            "kind": arg_kind,
            "location": self.location,
            "resourceGroup": self.resource_group,
            "subscriptionId": self.subscription_id,
            "tags": self.tags,
        }


def pick(rng: random.Random, items: Sequence[T]) -> T:
    """rng.choice without its overhead: the generator calls this for every alert."""
    return items[int(rng.random() * len(items))]


def guid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"


class Tenant:
    """Subscriptions and resources of one seed."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        rng = random.Random(f"tenant:{seed}")
        self.tenant_id = guid(rng)
        self.subscriptions = {
            "prod": guid(rng),
            "staging": guid(rng),
            "dev": guid(rng),
            "shared": guid(rng),
        }
        self._pools = {
            pool: [self.resource(pool, i) for i in range(size)]
            for pool, size in NOISE_POOL_SIZES.items()
        }

    def pools(self) -> list[Pool]:
        return list(self._pools)

    def pool(self, pool: Pool) -> list[DemoResource]:
        return self._pools[pool]

    @property
    def domain_controller(self) -> DemoResource:
        return self._pools[DOMAIN_CONTROLLERS][0]

    def _mix(self, *parts: object) -> int:
        text = ":".join(map(str, (self.seed, *parts))).encode()
        return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big")

    def resource(self, pool: Pool, index: int) -> DemoResource:
        h = self._mix(pool.key, index)
        app = pool.application or _APPS[h % len(_APPS)]
        env = pool.environment or ENVIRONMENTS[(h >> 8) % len(ENVIRONMENTS)]
        subscription = self.subscriptions["shared" if app == "identity" else env]
        group = f"rg-{app}-{env}"
        name = pool.name.format(app=app, index=index)
        _prefix, arm_type, _kind = KINDS[pool.kind]
        owner, cost_centre = APPLICATIONS[app]
        return DemoResource(
            id=f"/subscriptions/{subscription}/resourceGroups/{group}/providers/{arm_type}/{name}",
            name=name,
            kind=pool.kind,
            location=LOCATIONS[(h >> 16) % len(LOCATIONS)],
            resource_group=group,
            subscription_id=subscription,
            tags={
                "environment": env,
                "owner": owner,
                "costCenter": cost_centre,
                "application": app,
            },
        )

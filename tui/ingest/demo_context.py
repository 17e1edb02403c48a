"""The values a demo alert is written from: per tenant, per attack instance, per alert.

An attack instance draws its own attacker IP, accounts, payload, hashes and URLs once, so all of
its alerts agree; the tenant-wide values (domain controller, NAT egress IP, backup service
account) are the same everywhere, which is what trips a correlator that merges on anything.
"""

from __future__ import annotations

import base64
import hashlib
import random
from typing import Any

from tui.ingest.demo_scenarios import Stage
from tui.ingest.demo_tenant import DemoResource, Tenant, guid, pick

# (countryCode, countryName, state, city, latitude, longitude, asn, carrier); carriers invented.
GEO = (
    ("NL", "Netherlands", "Noord-Holland", "Amsterdam", 52.37, 4.89, 64512, "Lowlands VPS B.V."),
    ("RU", "Russia", "Moscow", "Moscow", 55.75, 37.62, 64513, "Taiga Hosting LLC"),
    ("CN", "China", "Beijing", "Beijing", 39.90, 116.40, 64514, "North Cloud Network"),
    ("US", "United States", "Virginia", "Ashburn", 39.04, -77.49, 64515, "Dulles Colo Inc."),
    ("BR", "Brazil", "Sao Paulo", "Sao Paulo", -23.55, -46.63, 64516, "Paulista Telecom"),
    ("VN", "Vietnam", "Hanoi", "Hanoi", 21.03, 105.85, 64517, "Red River Data"),
    ("DE", "Germany", "Hessen", "Frankfurt am Main", 50.11, 8.68, 64518, "Main Server GmbH"),
    ("IR", "Iran", "Tehran", "Tehran", 35.69, 51.39, 64519, "Alborz Net"),
    ("KR", "South Korea", "Seoul", "Seoul", 37.57, 126.98, 64520, "Han River Hosting"),
    ("RO", "Romania", "Bucuresti", "Bucharest", 44.43, 26.10, 64521, "Carpathian Servers SRL"),
)
_PUBLIC_FIRST_OCTETS = (5, 23, 31, 37, 45, 46, 62, 77, 80, 85, 91, 92, 103, 109, 141, 146, 178,
                        185, 188, 193, 194, 195, 212, 217)  # fmt: skip
NAT_EGRESS_IP = "20.107.44.19"
NAT_GEO = {
    "countryCode": "NL",
    "countryName": "Netherlands",
    "state": "Noord-Holland",
    "city": "Amsterdam",
    "asn": 8075,
    "carrier": "Microsoft Azure",
}
DC_IP = "10.10.0.4"
SERVICE_ACCOUNT = "svc-backup"
LOCAL_ADMINS = ("azureadmin", "administrator", "itadmin", "sqladmin", "localadmin", "support")
LINUX_USERS = ("azureuser", "ubuntu", "deploy", "admin", "oracle", "test")
PEOPLE = ("anna.kowalski", "james.obrien", "li.wei", "maria.garcia", "omar.haddad",
          "sven.larsen", "priya.nair", "tom.becker", "yuki.tanaka", "grace.mensah")  # fmt: skip
# One name hides its extension behind a right-to-left override, as phishing payloads do.
PAYLOADS = ("winupdate.exe", "svchost32.exe", "AdobeUpd.exe", "msupdate64.exe",
            "invoice_2026\u202efdp.exe")  # fmt: skip
MINERS = ("xmrig", "kdevtmpfsi", "kinsing", ".sshd", "systemd-worker")
MINING_POOLS = ("pool.supportxmr.com", "xmr.2miners.com", "gulf.moneroocean.stream",
                "xmr-eu1.nanopool.org")  # fmt: skip
C2_WORDS = ("update", "cdn", "static", "sync", "telemetry", "mirror", "files", "api")
C2_TLDS = ("top", "xyz", "online", "site", "click")
NAMESPACES = ("default", "kube-public", "monitoring", "ingress-nginx")
IMAGES = ("docker.io/mnbv42/xmr-proxy:latest", "docker.io/kinsing/kdevtmpfsi:1.3",
          "docker.io/tempuser9/alpine-tools:latest")  # fmt: skip
SCANNER_POOL = 4000
_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_OS = {"windows-vm": "Windows", "linux-vm": "Linux"}
_SERVICE = {"windows-vm": "RDP", "linux-vm": "SSH"}


def _geo(row: tuple) -> dict[str, Any]:
    code, country, state, city, lat, lon, asn, carrier = row
    return {
        "countryCode": code,
        "countryName": country,
        "state": state,
        "city": city,
        "longitude": lon,
        "latitude": lat,
        "asn": asn,
        "carrier": carrier,
    }


_GEOS = tuple(_geo(row) for row in GEO)


class Contexts:
    """Draws context values from the generator's one random stream, in a fixed order."""

    def __init__(self, tenant: Tenant, rng: random.Random) -> None:
        self.tenant = tenant
        self.rng = rng
        setup = random.Random(f"scanners:{tenant.seed}")
        self.scanners = [(self._public_ip(setup), setup.choice(_GEOS)) for _ in range(SCANNER_POOL)]
        self.shared: dict[str, Any] = {
            "dc": tenant.domain_controller,
            "dc_ip": DC_IP,
            "nat_ip": NAT_EGRESS_IP,
            "nat_geo": NAT_GEO,
            "svc_account": SERVICE_ACCOUNT,
            "svc_sid": f"S-1-5-21-{self._sid_base(setup)}-1107",
            "tenant_id": tenant.tenant_id,
            "etl_app_id": guid(setup),
        }
        self._noise: dict[str, dict[str, Any]] = {}

    def guid(self) -> str:
        return guid(self.rng)

    @staticmethod
    def _public_ip(rng: random.Random) -> str:
        first = rng.choice(_PUBLIC_FIRST_OCTETS)
        return f"{first}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"

    @staticmethod
    def _sid_base(rng: random.Random) -> str:
        return "-".join(str(rng.randrange(10**9, 4 * 10**9)) for _ in range(3))

    def _hex(self, digits: int) -> str:
        return f"{self.rng.getrandbits(digits * 4):0{digits}x}"

    def _resource_values(self, resource: DemoResource, rng: random.Random) -> dict[str, Any]:
        kind = resource.kind
        values = {
            **self.shared,
            "resource": resource,
            "kind": kind,
            "host": resource.name,
            "os": _OS.get(kind, ""),
            "service": _SERVICE.get(kind, ""),
            "agent_id": guid(rng),
            "host_ip": f"10.{rng.randrange(11, 250)}.{rng.randrange(256)}.{rng.randrange(4, 250)}",
            "site_url": f"https://{resource.name}.azurewebsites.net/wp-login.php",
        }
        if kind == "kubernetes":
            values["node_prefix"] = f"aks-nodepool1-{rng.randrange(10**7, 10**8)}-vmss00000"
            values["node"] = f"{values['node_prefix']}{rng.randrange(10)}"
        return values

    def attack(self, resource: DemoResource) -> dict[str, Any]:
        """Values of one attack instance on `resource`."""
        rng = self.rng
        ctx = self._resource_values(resource, rng)
        c2_domain = f"{rng.choice(C2_WORDS)}-{self._hex(6)}.{rng.choice(C2_TLDS)}"
        shell = f"{self._hex(8)}.php"
        account = rng.choice(LINUX_USERS if ctx["os"] == "Linux" else LOCAL_ADMINS)
        ctx |= {
            "attacker_ip": self._public_ip(rng),
            "attacker_geo": rng.choice(_GEOS),
            "c2_ip": self._public_ip(rng),
            "c2_geo": rng.choice(_GEOS),
            "c2_url": f"http://{c2_domain}/{self._hex(4)}/{rng.choice(('x.sh', 'up', 'a.txt'))}",
            "account": account,
            "account_sid": f"S-1-5-21-{self._sid_base(rng)}-500",
            "upn": f"{rng.choice(PEOPLE)}@contoso.com",
            "aad_id": guid(rng),
            "payload": rng.choice(PAYLOADS),
            "payload_dir": "C:\\ProgramData",
            "payload_sha256": hashlib.sha256(self._hex(32).encode()).hexdigest(),
            "persist_name": rng.choice(("Updater", "OneDriveSync", "SecurityHealth2")),
            "lsass_pid": rng.randrange(500, 1200),
            "dump_name": self._hex(6),
            "miner": rng.choice(MINERS),
            "pool_domain": rng.choice(MINING_POOLS),
            "wallet": "4" + "".join(_BASE58[b % 58] for b in rng.randbytes(94)),
            "ssh_key": "AAAAC3NzaC1lZDI1NTE5AAAA" + base64.b64encode(rng.randbytes(33)).decode(),
            "namespace": rng.choice(NAMESPACES),
            "pod": f"{rng.choice(('kube-proxy-helper', 'metrics', 'nginx'))}-{self._hex(5)}",
            "image": rng.choice(IMAGES),
            "shell_url": f"https://{resource.name}.azurewebsites.net/wp-content/uploads/{shell}",
            "ransom_id": self._hex(6).upper(),
        }
        if ctx["os"] == "Linux":  # the dropped file there is the miner itself
            ctx["payload"], ctx["payload_dir"] = ctx["miner"], "/tmp/.X11-unix"
        return ctx

    def noise(self, resource: DemoResource) -> dict[str, Any]:
        """Values of a noise resource: fixed per resource, so its alerts repeat them."""
        ctx = self._noise.get(resource.id)
        if ctx is None:
            fixed = random.Random(f"noise:{self.tenant.seed}:{resource.id}")
            ctx = self._noise[resource.id] = self._resource_values(resource, fixed)
        return ctx

    def for_alert(self, ctx: dict[str, Any], stage: Stage, time: str) -> dict[str, Any]:
        """The instance's values plus what differs per alert: time, process id, id spelling."""
        rng = self.rng
        values = {
            **ctx,
            "evidence": stage.evidence,
            "time": time,
            "run_as": stage.run_as,
            "pid": f"0x{rng.getrandbits(16):x}",
            "resource_id": _spelling(ctx["resource"].id, int(rng.random() * 3)),
        }
        if "node_prefix" in ctx:
            values["node"] = f"{ctx['node_prefix']}{int(rng.random() * 3)}"
        if "scanner_ips" in stage.evidence:
            count = pick(rng, (1, 1, 1, 2, 3))
            values["scanner_ips"] = [pick(rng, self.scanners) for _ in range(count)]
            values["attempts"] = [1 + int(rng.random() * 40) for _ in range(count)]
            values["scan_port"] = pick(rng, (3389, 3389, 5985, 445, 22))
        if stage.command:
            values["random"] = self._hex(8)
            values["command"] = stage.command.format_map(values)
        else:
            values["command"] = ""
        return values


def _spelling(resource_id: str, variant: int) -> str:
    """Defender spells one resource id several ways; the store keys on the lower-cased form."""
    if variant == 1:
        return resource_id.lower()
    if variant == 2:
        return resource_id.replace("/subscriptions/", "/SUBSCRIPTIONS/", 1).replace(
            "/resourceGroups/", "/RESOURCEGROUPS/", 1
        )
    return resource_id

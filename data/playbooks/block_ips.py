#!/usr/bin/env python3
"""threatdesk playbook: turn the public IP addresses of an alert or incident into block rules.

Reads the alert (Defender for Cloud alert schema) or incident payload as JSON on stdin and writes
two files into --out-dir, named from the target's id (never from alert text):

  nsg-block-<type>-<id>.json   Azure network security group rules (inbound + outbound Deny)
  nftables-block-<type>-<id>.nft   an nftables table with IPv4/IPv6 sets and drop rules

Only values that parse as IP addresses outside private, loopback, link-local, multicast and
reserved ranges are used, so nothing that is not an address can reach a rule; --allow CIDR
keeps more of your own ranges out.
Alert text is data here: it is parsed as JSON and never executed or used as a file name.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import sys
from pathlib import Path

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# Never blocked: your own networks and addresses that are not hosts on the internet.
INTERNAL = [
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "::/128",
        "::1/128",
        "fc00::/7",
        "fe80::/10",
        "ff00::/8",
    )
]


def ip_entities(payload: dict) -> list[object]:
    """Candidate address values of every IP entity in the payload."""
    if "incident" in payload:
        values = [
            e.get("key") for e in payload["incident"].get("entities", []) if e.get("type") == "ip"
        ]
        alerts = payload.get("alerts", [])
    else:
        values, alerts = [], [payload]
    for alert in alerts:
        for e in alert.get("properties", {}).get("entities", []):
            if isinstance(e, dict) and str(e.get("type", "")).lower() == "ip":
                values.append(e.get("address") or e.get("threatdeskKey"))
    return values


def public_addresses(
    values: list[object], allowed: list[ipaddress._BaseNetwork]
) -> list[IPAddress]:
    found: set[IPAddress] = set()
    for value in values:
        try:
            ip = ipaddress.ip_address(str(value).strip())
        except ValueError:
            continue
        if not any(ip in net for net in INTERNAL + allowed if net.version == ip.version):
            found.add(ip)
    return sorted(found, key=lambda ip: (ip.version, int(ip)))


def nsg_rules(name: str, ips: list[IPAddress], priority: int) -> dict:
    prefixes = [str(ip) for ip in ips]

    def rule(direction: str, offset: int) -> dict:
        address_key = (
            "sourceAddressPrefixes" if direction == "Inbound" else "destinationAddressPrefixes"
        )
        other_key = "destinationAddressPrefix" if direction == "Inbound" else "sourceAddressPrefix"
        return {
            "name": f"{name}-{direction.lower()}",
            "properties": {
                "description": f"Blocked by threatdesk playbook ({name})",
                "priority": priority + offset,
                "direction": direction,
                "access": "Deny",
                "protocol": "*",
                "sourcePortRange": "*",
                "destinationPortRange": "*",
                address_key: prefixes,
                other_key: "*",
            },
        }

    return {"securityRules": [rule("Inbound", 0), rule("Outbound", 1)]}


def nftables(ips: list[IPAddress]) -> str:
    lines = ["table inet threatdesk_block {"]
    for kind, version in (("ipv4_addr", 4), ("ipv6_addr", 6)):
        members = [str(ip) for ip in ips if ip.version == version]
        lines.append(f"    set blocked_v{version} {{")
        lines.append(f"        type {kind}")
        if members:
            lines.append(f"        elements = {{ {', '.join(members)} }}")
        lines.append("    }")
    lines += [
        "    chain input {",
        "        type filter hook input priority 0; policy accept;",
        "        ip saddr @blocked_v4 drop",
        "        ip6 saddr @blocked_v6 drop",
        "    }",
        "    chain output {",
        "        type filter hook output priority 0; policy accept;",
        "        ip daddr @blocked_v4 drop",
        "        ip6 daddr @blocked_v6 drop",
        "    }",
        "}",
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, required=True)
    parser.add_argument("--allow", action="append", default=[], help="CIDR never to block")
    parser.add_argument("--priority", type=int, default=100, help="NSG rule priority")
    args = parser.parse_args()
    allowed = [ipaddress.ip_network(cidr, strict=False) for cidr in args.allow]
    payload = json.load(sys.stdin)
    target = f"{os.environ['THREATDESK_TARGET_TYPE']}-{int(os.environ['THREATDESK_TARGET_ID'])}"
    ips = public_addresses(ip_entities(payload), allowed)
    if not ips:
        print(f"{target}: no public IP addresses to block")
        return 0
    args.out_dir.mkdir(parents=True, exist_ok=True)
    nsg = args.out_dir / f"nsg-block-{target}.json"
    nft = args.out_dir / f"nftables-block-{target}.nft"
    nsg.write_text(json.dumps(nsg_rules(f"threatdesk-{target}", ips, args.priority), indent=2))
    nft.write_text(nftables(ips))
    print(f"{target}: {len(ips)} address(es) blocked: {', '.join(map(str, ips))}")
    print(f"wrote {nsg}")
    print(f"wrote {nft}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Remediation steps of demo alerts, worded as Defender for Cloud words them.

Defender sometimes ships a step with its `%{...}` placeholders unfilled; some demo alerts do too,
so the console has to cope with them. The blocking recommendation is a JSON string, as in
the recorded API responses.
"""

from __future__ import annotations

import random
from functools import lru_cache
from typing import Any

import orjson

from tui.ingest.demo_scenarios import Stage

UNFILLED_SHARE = 0.2
_REVIEW = (
    "Review with {user} the suspicious command process and command line to confirm that this is"
    " legitimate activity that you expect to see on {host}. If not, escalate the alert to the"
    " information security team."
)
_STEPS = {
    "windows-vm": (
        "Make sure the machine is completely updated and has an updated anti-malware"
        " application installed.",
        "Run a full anti-malware scan and verify that the threat was removed.",
    ),
    "linux-vm": (
        "Make sure the machine is completely updated and that unused SSH keys are removed.",
        "Escalate the alert to the information security team.",
    ),
    "kubernetes": (
        "Review the workloads in the affected namespace and delete any you do not recognise.",
        "Restrict access to the Kubernetes API server with authorized IP ranges.",
        "Escalate the alert to the information security team.",
    ),
    "key-vault": (
        "Please review your activity logs to determine if the access attempts that triggered"
        " this alert were legitimate. If you are concerned that these access attempts may not"
        " have been legitimate, please contact your security administrator and disable access"
        " policies to the user or application and rotate the secrets, keys, and passwords"
        " stored in this key vault.",
    ),
    "app-service": (
        "1. Use Azure Web Sites Process Explorer and try to identify unknown running processes.",
        "2. If only specific IP addresses should be allowed to access the web app, set IP"
        " restrictions for it.",
        "3. Escalate the alert to the information security team.",
    ),
    "storage": (
        "Limit access to your storage account, following the 'least privilege' principle.",
        "Revoke all storage access tokens that may be compromised.",
    ),
}


def remediation_steps(stage: Stage, ctx: dict[str, Any], rng: random.Random) -> list[str]:
    if stage.key == "Network_TrafficFromUnrecommendedIP":
        return [_enforce_rule(ctx["resource"].id.lower())]
    if not (ctx["os"] and "process" in stage.evidence):
        return list(_STEPS[ctx["kind"]])
    if rng.random() < UNFILLED_SHARE:
        return list(_with_review(ctx["kind"], "%{user name}", "%{Compromised Host}"))
    return list(_with_review(ctx["kind"], ctx.get("account", "the account owner"), ctx["host"]))


@lru_cache(maxsize=4096)
def _with_review(kind: str, user: str, host: str) -> tuple[str, ...]:
    return (_REVIEW.format(user=user, host=host), *_STEPS[kind])


def _enforce_rule(resource_id: str) -> str:
    return orjson.dumps(
        {
            "kind": "openBlade",
            "displayValue": "Enforce rule",
            "extension": "Microsoft_Azure_Security_R3",
            "detailBlade": "AdaptiveNetworkControlsResourceBlade",
            "detailBladeInputs": f"protectedResourceId={resource_id}",
        }
    ).decode()

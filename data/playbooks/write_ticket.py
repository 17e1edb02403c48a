#!/usr/bin/env python3
"""threatdesk playbook: write a ticket (Markdown and JSON) for an alert or incident.

Reads the payload as JSON on stdin and writes TD-<type>-<id>.md and .json into --out-dir. The file
names come from the target's id, never from alert text, and a retry rewrites the same ticket
instead of opening a second one. Alert text is attacker-controlled: in the Markdown every
control character is shown as an escape (\\x1b, \\u202e) and Markdown syntax is backslash-escaped,
so a title like `[click](https://evil)` stays literal text wherever the ticket is rendered.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~])")


def text(value: object, limit: int = 500) -> str:
    """Untrusted value -> one line of literal Markdown."""
    value = "" if value is None else str(value)
    value = _CONTROL.sub(
        lambda m: (
            f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256 else f"\\u{ord(m.group()):04x}"
        ),
        value,
    )
    if len(value) > limit:
        value = value[:limit] + f"… [+{len(value) - limit} chars]"
    return _MARKDOWN.sub(r"\\\1", value)


def alert_lines(alert: dict) -> list[str]:
    props = alert.get("properties", {})
    lines = [
        f"- **{text(props.get('alertDisplayName'))}** ({text(props.get('severity'))},"
        f" {text(props.get('status'))}), type {text(props.get('alertType'))},"
        f" started {text(props.get('startTimeUtc'))}",
    ]
    if props.get("compromisedEntity"):
        lines.append(f"  - compromised entity: {text(props.get('compromisedEntity'))}")
    return lines


def ticket(payload: dict, target: str, run: dict[str, str]) -> tuple[str, dict]:
    if "incident" in payload:
        incident = payload["incident"]
        title, severity = incident.get("title"), incident.get("severity")
        alerts = payload.get("alerts", [])
        entities = [
            f"{text(e.get('type'))}: {text(e.get('display'))}" for e in incident.get("entities", [])
        ]
    else:
        props = payload.get("properties", {})
        title, severity = props.get("alertDisplayName"), props.get("severity")
        alerts = [payload]
        entities = [
            f"{text(e.get('type'))}: {text(e.get('threatdeskKey'))}"
            for e in props.get("entities", [])
            if isinstance(e, dict)
        ]
    lines = [
        f"# {target}: {text(title, 200)}",
        "",
        f"- severity: {text(severity)}",
        f"- opened by threatdesk playbook {run['playbook']} (run {run['run']},"
        f" {run['trigger']}, by {run['actor']})",
        "",
        "## Alerts",
        "",
    ]
    for alert in alerts:
        lines += alert_lines(alert)
    lines += ["", "## Entities", ""] + [f"- {e}" for e in entities or ["none"]]
    record = {
        "ticket": target,
        "title": title,
        "severity": severity,
        "run": run,
        "alertIds": [a.get("threatdesk", {}).get("alertId") for a in alerts],
    }
    return "\n".join(lines) + "\n", record


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, required=True)
    args = parser.parse_args()
    payload = json.load(sys.stdin)
    target = f"TD-{os.environ['THREATDESK_TARGET_TYPE']}-{int(os.environ['THREATDESK_TARGET_ID'])}"
    run = {
        "playbook": os.environ["THREATDESK_PLAYBOOK"],
        "run": os.environ["THREATDESK_RUN_ID"],
        "trigger": os.environ["THREATDESK_TRIGGER"],
        "actor": os.environ["THREATDESK_ACTOR"],
        "idempotencyKey": os.environ["THREATDESK_IDEMPOTENCY_KEY"],
    }
    markdown, record = ticket(payload, target, run)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / f"{target}.md").write_text(markdown, encoding="utf-8")
    (args.out_dir / f"{target}.json").write_text(json.dumps(record, indent=2), encoding="utf-8")
    print(f"ticket {target} written to {args.out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

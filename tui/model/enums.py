"""Enumerations copied exactly from Defender for Cloud's alert schema."""

from __future__ import annotations

from enum import StrEnum


class Severity(StrEnum):
    INFORMATIONAL = "Informational"
    LOW = "Low"
    MEDIUM = "Medium"
    HIGH = "High"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]

    @classmethod
    def from_rank(cls, rank: int) -> Severity:
        return _RANKED[max(0, min(rank, 3))]

    @classmethod
    def parse(cls, value: object) -> Severity:
        """Accept Defender, Sentinel, Graph and OCSF spellings; raise ValueError otherwise."""
        if isinstance(value, str):
            key = value.strip().lower()
            if key in _SEVERITY_ALIASES:
                return _SEVERITY_ALIASES[key]
        raise ValueError(f"unknown severity {value!r}")


_RANKED = (Severity.INFORMATIONAL, Severity.LOW, Severity.MEDIUM, Severity.HIGH)
_SEVERITY_RANK = {s: i for i, s in enumerate(_RANKED)}
_SEVERITY_ALIASES = {
    "informational": Severity.INFORMATIONAL,
    "information": Severity.INFORMATIONAL,
    "info": Severity.INFORMATIONAL,
    "unknown": Severity.INFORMATIONAL,
    "low": Severity.LOW,
    "medium": Severity.MEDIUM,
    "high": Severity.HIGH,
    "critical": Severity.HIGH,
    "fatal": Severity.HIGH,
}


class Status(StrEnum):
    ACTIVE = "Active"
    IN_PROGRESS = "InProgress"
    RESOLVED = "Resolved"
    DISMISSED = "Dismissed"

    @property
    def is_open(self) -> bool:
        return self in (Status.ACTIVE, Status.IN_PROGRESS)

    @classmethod
    def parse(cls, value: object) -> Status:
        if isinstance(value, str):
            key = value.strip().lower().replace(" ", "").replace("_", "")
            if key in _STATUS_ALIASES:
                return _STATUS_ALIASES[key]
        raise ValueError(f"unknown status {value!r}")


_STATUS_ALIASES = {
    "active": Status.ACTIVE,
    "new": Status.ACTIVE,
    "inprogress": Status.IN_PROGRESS,
    "resolved": Status.RESOLVED,
    "closed": Status.RESOLVED,
    "dismissed": Status.DISMISSED,
}


class Classification(StrEnum):
    TRUE_POSITIVE = "TruePositive"
    BENIGN_POSITIVE = "BenignPositive"
    FALSE_POSITIVE = "FalsePositive"
    UNDETERMINED = "Undetermined"

    @property
    def label(self) -> str:
        return {
            Classification.TRUE_POSITIVE: "True positive",
            Classification.BENIGN_POSITIVE: "Benign positive",
            Classification.FALSE_POSITIVE: "False positive",
            Classification.UNDETERMINED: "Undetermined",
        }[self]


class Intent(StrEnum):
    """The kill-chain intents of Defender for Cloud, in kill-chain order."""

    UNKNOWN = "Unknown"
    PRE_ATTACK = "PreAttack"
    INITIAL_ACCESS = "InitialAccess"
    PERSISTENCE = "Persistence"
    PRIVILEGE_ESCALATION = "PrivilegeEscalation"
    DEFENSE_EVASION = "DefenseEvasion"
    CREDENTIAL_ACCESS = "CredentialAccess"
    DISCOVERY = "Discovery"
    LATERAL_MOVEMENT = "LateralMovement"
    EXECUTION = "Execution"
    COLLECTION = "Collection"
    EXFILTRATION = "Exfiltration"
    COMMAND_AND_CONTROL = "CommandAndControl"
    IMPACT = "Impact"
    PROBING = "Probing"
    EXPLOITATION = "Exploitation"

    @property
    def label(self) -> str:
        """Human form: 'InitialAccess' -> 'Initial access'."""
        words = [w for w in _split_camel(self.value)]
        return " ".join([words[0], *(w.lower() for w in words[1:])])

    @classmethod
    def parse(cls, value: str) -> Intent | None:
        key = value.strip().replace(" ", "").replace("-", "").replace("_", "").lower()
        return _INTENT_ALIASES.get(key)


def _split_camel(value: str) -> list[str]:
    words: list[str] = []
    for ch in value:
        if ch.isupper() and words and not words[-1].isupper():
            words.append(ch)
        elif words:
            words[-1] += ch
        else:
            words.append(ch)
    return words


_INTENT_ALIASES = {i.value.lower(): i for i in Intent}
_INTENT_ALIASES |= {
    "reconnaissance": Intent.PRE_ATTACK,
    "resourcedevelopment": Intent.PRE_ATTACK,
    "commandcontrol": Intent.COMMAND_AND_CONTROL,
    "privilegeescalations": Intent.PRIVILEGE_ESCALATION,
}

KILL_CHAIN: tuple[Intent, ...] = tuple(Intent)


class EntityType(StrEnum):
    HOST = "host"
    ACCOUNT = "account"
    IP = "ip"
    FILE = "file"
    FILE_HASH = "filehash"
    PROCESS = "process"
    URL = "url"
    DNS = "dns"
    AZURE_RESOURCE = "azure-resource"
    MAILBOX = "mailbox"
    MAIL_MESSAGE = "mailmessage"
    CLOUD_APPLICATION = "cloud-application"
    REGISTRY_KEY = "registry-key"
    REGISTRY_VALUE = "registry-value"
    SECURITY_GROUP = "security-group"
    MALWARE = "malware"
    K8S = "k8s"
    OTHER = "other"

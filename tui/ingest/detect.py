"""Which adapter reads a record: recognised from the shape of the first records of a file."""

from __future__ import annotations

from types import ModuleType

from tui.ingest import defender, graph, ocsf, sentinel
from tui.ingest.errors import FormatError

ADAPTERS: dict[str, ModuleType] = {
    "defender": defender,
    "sentinel": sentinel,
    "graph": graph,
    "ocsf": ocsf,
}
EXPECTED = (
    "Defender for Cloud REST alerts (defender), Log Analytics/Sentinel SecurityAlert rows "
    "(sentinel), Microsoft Graph security alerts_v2 (graph) or OCSF Detection Finding, "
    "class 2004 (ocsf)"
)


def record_format(record: dict) -> str | None:
    """The format a parsed record is in, or None."""
    props = record.get("properties")
    arm_type = record.get("type")
    if isinstance(props, dict) and (
        (isinstance(arm_type, str) and arm_type.lower().endswith("/alerts"))
        or "alertDisplayName" in props
    ):
        return "defender"
    if record.get("Type") == "SecurityAlert" or (
        "SystemAlertId" in record and ("AlertName" in record or "AlertType" in record)
    ):
        return "sentinel"
    odata = record.get("@odata.type")
    if (isinstance(odata, str) and odata.endswith("security.alert")) or (
        "evidence" in record and "detectorId" in record
    ):
        return "graph"
    if record.get("class_uid") == ocsf.CLASS_UID:
        return "ocsf"
    return None


def adapter(name: str) -> ModuleType:
    try:
        return ADAPTERS[name]
    except KeyError:
        known = ", ".join(ADAPTERS)
        raise FormatError(f"unknown format {name!r}: expected one of {known}") from None


def refuse(what: str) -> FormatError:
    return FormatError(f"{what}; expected {EXPECTED}, as JSON, JSON Lines or CSV")

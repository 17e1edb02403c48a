"""Threat intelligence: the offline knowledge base (MISP galaxies, imported STIX 2.1 bundles),
attribution of alerts and incidents to activity groups and campaigns, and IOC export.

The API other parts call is re-exported here.
"""

from tui.intel.attribution import (
    Attribution,
    Candidate,
    Evidence,
    attribute_alerts,
    attribute_incident,
)
from tui.intel.iocs import Ioc, csv_text, incident_iocs, stix_bundle
from tui.intel.kb import KbVersion, ensure_loaded, kb_version, update
from tui.intel.profiles import (
    CampaignProfile,
    CampaignRef,
    GroupProfile,
    GroupRef,
    Mitigation,
    SoftwareRef,
    TechniqueRef,
    campaign_profile,
    group_profile,
    mitigations_for,
    tactic_label,
    technique_names,
)

__all__ = [
    "Attribution",
    "CampaignProfile",
    "CampaignRef",
    "Candidate",
    "Evidence",
    "GroupProfile",
    "GroupRef",
    "Ioc",
    "KbVersion",
    "Mitigation",
    "SoftwareRef",
    "TechniqueRef",
    "attribute_alerts",
    "attribute_incident",
    "campaign_profile",
    "csv_text",
    "ensure_loaded",
    "group_profile",
    "incident_iocs",
    "kb_version",
    "mitigations_for",
    "stix_bundle",
    "tactic_label",
    "technique_names",
    "update",
]

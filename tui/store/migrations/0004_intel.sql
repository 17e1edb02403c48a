-- Threat-intelligence knowledge base: MISP galaxies (source 'misp') and imported STIX 2.1
-- bundles (source 'stix:<bundle id>'). `intel update` replaces every 'misp' row; imported
-- intelligence survives it.

-- What was loaded from where: galaxy versions, package version, bundle imports.
CREATE TABLE intel_sources (
    name TEXT PRIMARY KEY,                   -- 'misp' | 'stix:bundle--…' | 'galaxy:<type>'
    version TEXT NOT NULL DEFAULT '',
    loaded_at TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '{}'        -- JSON: counts, file name, newest dated item
);

-- Activity groups: ATT&CK intrusion sets joined with MISP threat actors of the same group.
CREATE TABLE intel_groups (
    id TEXT PRIMARY KEY,                     -- G#### for ATT&CK groups, else a cluster/STIX id
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    country TEXT NOT NULL DEFAULT '',
    sponsor TEXT NOT NULL DEFAULT '',
    attribution_confidence TEXT NOT NULL DEFAULT '',
    motives TEXT NOT NULL DEFAULT '[]',      -- JSON lists from here on
    sectors TEXT NOT NULL DEFAULT '[]',
    victims TEXT NOT NULL DEFAULT '[]',
    refs TEXT NOT NULL DEFAULT '[]',
    source TEXT NOT NULL
);

CREATE TABLE intel_software (
    id TEXT PRIMARY KEY,                     -- S#### or STIX id
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('malware', 'tool')),
    description TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL
);

CREATE TABLE intel_techniques (
    id TEXT PRIMARY KEY,                     -- T1110 / T1110.001
    name TEXT NOT NULL,
    tactics TEXT NOT NULL DEFAULT '[]',      -- JSON: ATT&CK tactic short names
    description TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL
);

CREATE TABLE intel_mitigations (
    id TEXT PRIMARY KEY,                     -- M####
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL
);

CREATE TABLE intel_campaigns (
    id TEXT PRIMARY KEY,                     -- C#### or STIX id
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    first_seen TEXT NOT NULL DEFAULT '',
    last_seen TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL
);

CREATE TABLE intel_sectors (
    name TEXT PRIMARY KEY,
    description TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL
);

-- Every name an object is known by; `norm` is casefolded alphanumerics ('Cozy Bear' -> 'cozybear').
CREATE TABLE intel_aliases (
    kind TEXT NOT NULL CHECK (kind IN ('group', 'software', 'campaign')),
    object_id TEXT NOT NULL,
    alias TEXT NOT NULL,
    norm TEXT NOT NULL,
    source TEXT NOT NULL,
    PRIMARY KEY (kind, object_id, norm)
) WITHOUT ROWID;
CREATE INDEX intel_aliases_norm ON intel_aliases (norm, kind);

-- Typed edges: group uses technique/software, software uses technique, mitigation mitigates
-- technique, campaign attributed-to group, indicator indicates group/campaign/software, ...
CREATE TABLE intel_relations (
    src_kind TEXT NOT NULL,
    src_id TEXT NOT NULL,
    relation TEXT NOT NULL,
    dst_kind TEXT NOT NULL,
    dst_id TEXT NOT NULL,
    source TEXT NOT NULL,
    PRIMARY KEY (src_kind, src_id, relation, dst_kind, dst_id)
) WITHOUT ROWID;
CREATE INDEX intel_relations_dst ON intel_relations (dst_kind, dst_id, relation);

-- Imported STIX indicators and the observable values their patterns compare against.
CREATE TABLE intel_indicators (
    id TEXT PRIMARY KEY,                     -- indicator--uuid
    name TEXT NOT NULL DEFAULT '',
    pattern TEXT NOT NULL,
    valid_from TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL
);
CREATE TABLE intel_indicator_values (
    type TEXT NOT NULL CHECK (type IN ('ip', 'domain', 'url', 'filehash')),
    value TEXT NOT NULL,                     -- normalized like alert entity keys
    indicator_id TEXT NOT NULL REFERENCES intel_indicators (id) ON DELETE CASCADE,
    PRIMARY KEY (type, value, indicator_id)
) WITHOUT ROWID;
CREATE INDEX intel_indicator_values_indicator ON intel_indicator_values (indicator_id);

-- STIX ids of imported objects that were merged into an existing object (same name).
CREATE TABLE intel_stix_ids (
    stix_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    object_id TEXT NOT NULL
);

-- Core schema: alerts, entities, inventory, incidents, triage, audit, quarantine, search.
-- Column names are the snake_case of Defender for Cloud's REST API names.

CREATE TABLE alerts (
    id INTEGER PRIMARY KEY,
    source_id TEXT NOT NULL UNIQUE,          -- ARM id / SystemAlertId / Graph id / OCSF uid
    source_format TEXT NOT NULL,             -- defender | sentinel | graph | ocsf
    system_alert_id TEXT NOT NULL DEFAULT '',
    alert_type TEXT NOT NULL,
    alert_display_name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    severity TEXT NOT NULL,
    severity_rank INTEGER NOT NULL,          -- 0 Informational .. 3 High
    intent TEXT NOT NULL DEFAULT '',         -- comma-separated Intent values
    start_time_utc TEXT NOT NULL,            -- ISO 8601, UTC, fixed width: sorts as text
    end_time_utc TEXT NOT NULL,
    time_generated_utc TEXT NOT NULL DEFAULT '',
    processing_end_time_utc TEXT NOT NULL DEFAULT '',
    compromised_entity TEXT NOT NULL DEFAULT '',
    resource_id TEXT NOT NULL DEFAULT '',    -- lower-cased Azure resource id
    remediation_steps TEXT NOT NULL DEFAULT '[]',
    extended_properties TEXT NOT NULL DEFAULT '{}',
    extended_links TEXT NOT NULL DEFAULT '[]',
    supporting_evidence TEXT NOT NULL DEFAULT 'null',
    resource_identifiers TEXT NOT NULL DEFAULT '[]',
    correlation_key TEXT NOT NULL DEFAULT '',
    is_incident INTEGER NOT NULL DEFAULT 0,
    product_name TEXT NOT NULL DEFAULT '',
    vendor_name TEXT NOT NULL DEFAULT '',
    product_component_name TEXT NOT NULL DEFAULT '',
    alert_uri TEXT NOT NULL DEFAULT '',
    techniques TEXT NOT NULL DEFAULT '',     -- comma-separated ATT&CK ids incl. sub-techniques
    source_incident_id TEXT NOT NULL DEFAULT '',
    is_simulated INTEGER NOT NULL DEFAULT 0,
    source_status TEXT NOT NULL DEFAULT 'Active',
    raw TEXT NOT NULL,                       -- the record exactly as it came
    content_hash TEXT NOT NULL,              -- hash of raw: re-import detects unchanged records
    imported_at TEXT NOT NULL,
    -- triage: owned by analysts, never overwritten by a re-import
    status TEXT NOT NULL DEFAULT 'Active',
    owner TEXT NOT NULL DEFAULT '',
    classification TEXT NOT NULL DEFAULT '',
    classification_comment TEXT NOT NULL DEFAULT '',
    suppressed_by_rule INTEGER,
    version INTEGER NOT NULL DEFAULT 1,
    updated_at TEXT NOT NULL DEFAULT ''
);
CREATE INDEX alerts_time ON alerts (start_time_utc DESC, id DESC);
CREATE INDEX alerts_status_time ON alerts (status, start_time_utc DESC, id DESC);
CREATE INDEX alerts_severity_time ON alerts (severity_rank, start_time_utc DESC, id DESC);
CREATE INDEX alerts_resource ON alerts (resource_id);
CREATE INDEX alerts_type ON alerts (alert_type);
CREATE INDEX alerts_correlation_key ON alerts (correlation_key) WHERE correlation_key != '';

CREATE TABLE entities (
    id INTEGER PRIMARY KEY,
    type TEXT NOT NULL,
    key TEXT NOT NULL,                       -- normalized strong key
    display TEXT NOT NULL,
    data TEXT NOT NULL DEFAULT '{}',
    UNIQUE (type, key)
);

CREATE TABLE alert_entities (
    alert_id INTEGER NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    entity_id INTEGER NOT NULL REFERENCES entities (id),
    PRIMARY KEY (alert_id, entity_id)
) WITHOUT ROWID;
CREATE INDEX alert_entities_entity ON alert_entities (entity_id, alert_id);

CREATE TABLE alert_techniques (
    alert_id INTEGER NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    technique_id TEXT NOT NULL,
    PRIMARY KEY (alert_id, technique_id)
) WITHOUT ROWID;
CREATE INDEX alert_techniques_technique ON alert_techniques (technique_id);

CREATE TABLE resources (
    id TEXT PRIMARY KEY,                     -- lower-cased Azure resource id
    name TEXT NOT NULL DEFAULT '',
    type TEXT NOT NULL DEFAULT '',
    location TEXT NOT NULL DEFAULT '',
    resource_group TEXT NOT NULL DEFAULT '',
    subscription_id TEXT NOT NULL DEFAULT '',
    tags TEXT NOT NULL DEFAULT '{}'
);

CREATE TABLE incidents (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    severity TEXT NOT NULL,
    severity_rank INTEGER NOT NULL,
    first_activity_utc TEXT NOT NULL,
    last_activity_utc TEXT NOT NULL,
    alert_count INTEGER NOT NULL DEFAULT 0,
    stages TEXT NOT NULL DEFAULT '[]',        -- kill-chain intents covered, in order
    resources TEXT NOT NULL DEFAULT '[]',     -- affected resource ids
    reasons TEXT NOT NULL DEFAULT '[]',       -- why these alerts are together
    status TEXT NOT NULL DEFAULT 'Active',
    owner TEXT NOT NULL DEFAULT '',
    classification TEXT NOT NULL DEFAULT '',
    classification_comment TEXT NOT NULL DEFAULT '',
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX incidents_last_activity ON incidents (last_activity_utc DESC, id DESC);

CREATE TABLE incident_alerts (
    alert_id INTEGER PRIMARY KEY REFERENCES alerts (id) ON DELETE CASCADE,
    incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    reason TEXT NOT NULL DEFAULT '',
    joined_at TEXT NOT NULL
);
CREATE INDEX incident_alerts_incident ON incident_alerts (incident_id);

-- Analyst decisions about membership that correlation must respect, even on a rebuild.
CREATE TABLE incident_overrides (
    alert_id INTEGER NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    incident_id INTEGER REFERENCES incidents (id) ON DELETE SET NULL,
    kind TEXT NOT NULL CHECK (kind IN ('pinned', 'removed')),
    actor TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (alert_id, kind)
) WITHOUT ROWID;

CREATE TABLE comments (
    id INTEGER PRIMARY KEY,
    target_type TEXT NOT NULL CHECK (target_type IN ('alert', 'incident')),
    target_id INTEGER NOT NULL,
    author TEXT NOT NULL,
    at TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX comments_target ON comments (target_type, target_id);

-- Append-only, hash-chained record of every analyst and engine action.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id TEXT NOT NULL,
    before TEXT NOT NULL DEFAULT 'null',
    after TEXT NOT NULL DEFAULT 'null',
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_target ON audit_log (target_type, target_id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

CREATE TABLE quarantine (
    id INTEGER PRIMARY KEY,
    file TEXT NOT NULL,
    record_no INTEGER NOT NULL,
    byte_offset INTEGER,
    reason TEXT NOT NULL,
    raw TEXT NOT NULL,
    at TEXT NOT NULL
);

CREATE TABLE imports (
    id INTEGER PRIMARY KEY,
    file TEXT NOT NULL,
    format TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    new INTEGER NOT NULL DEFAULT 0,
    updated INTEGER NOT NULL DEFAULT 0,
    unchanged INTEGER NOT NULL DEFAULT 0,
    rejected INTEGER NOT NULL DEFAULT 0
);

-- Full-text search over title, description and entity values (rowid = alerts.id).
CREATE VIRTUAL TABLE alerts_fts USING fts5 (title, description, entities, tokenize = 'unicode61');

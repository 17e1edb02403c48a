-- Correlation state: which alerts are correlated, and which entities are too common to be evidence.

-- Alerts correlated since the last rebuild (which correlated every alert up to
-- correlation_meta.correlated_upto): correlate_new() skips them, so calling it twice is harmless.
CREATE TABLE correlated_alerts (
    alert_id INTEGER PRIMARY KEY REFERENCES alerts (id) ON DELETE CASCADE
);

-- Specificity of every entity seen in two or more alerts: `sites` lists (up to the configured
-- limit) the distinct machines/resources its alerts touched; `weak` entities link nothing.
CREATE TABLE correlation_entity_stats (
    entity_id INTEGER PRIMARY KEY REFERENCES entities (id) ON DELETE CASCADE,
    alerts INTEGER NOT NULL,
    sites TEXT NOT NULL DEFAULT '[]',
    weak INTEGER NOT NULL DEFAULT 0
);

-- The source product's own grouping (Sentinel/XDR incident id, Graph incidentId) is a link key.
CREATE INDEX alerts_source_incident ON alerts (source_incident_id) WHERE source_incident_id != '';
-- Incident of an alert pinned by an analyst: merge/split keep their pins together.
CREATE INDEX incident_overrides_incident ON incident_overrides (incident_id);

-- Alerts and resources per alert type: a detection that fires all over the estate cannot
-- link "similar attacks on multiple resources".
CREATE TABLE correlation_type_stats (
    alert_type TEXT PRIMARY KEY,
    alerts INTEGER NOT NULL,
    sites INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
-- The distinct (alert type, resource) pairs behind correlation_type_stats.sites.
CREATE TABLE correlation_type_sites (
    alert_type TEXT NOT NULL,
    site TEXT NOT NULL,
    PRIMARY KEY (alert_type, site)
) WITHOUT ROWID;

-- Alerts whose incident an analyst changed: the next correlation run recomputes around them.
CREATE TABLE correlation_dirty (
    alert_id INTEGER PRIMARY KEY REFERENCES alerts (id) ON DELETE CASCADE
);

-- last_incident_id: the highest incident id ever given (a dissolved incident's id is never
-- reused, so comments and audit rows naming it never attach to another incident);
-- correlated_upto: every alert up to this id was correlated by the last rebuild.
CREATE TABLE correlation_meta (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;

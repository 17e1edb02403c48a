-- Suppression rules (Defender for Cloud alertsSuppressionRules, plus a `similar` condition).
-- A deleted rule keeps its row (deleted_at set) so the alerts it dismissed still name it.

CREATE TABLE suppression_rules (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    alert_type TEXT NOT NULL,                -- '*' for every alert type
    reason TEXT NOT NULL,
    comment TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL CHECK (state IN ('Enabled', 'Disabled', 'Expired')),
    expiration_date_utc TEXT NOT NULL DEFAULT '',  -- ISO 8601 UTC, '' = never
    conditions TEXT NOT NULL DEFAULT '[]',   -- suppressionAlertsScope.allOf as JSON
    extra TEXT NOT NULL DEFAULT '{}',        -- unknown Defender properties, kept for export
    arm_id TEXT NOT NULL DEFAULT '',
    last_modified_utc TEXT NOT NULL,
    author TEXT NOT NULL,
    modified_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    hits INTEGER NOT NULL DEFAULT 0,         -- alerts dismissed by this rule, ever
    last_hit_utc TEXT NOT NULL DEFAULT '',
    deleted_at TEXT,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX suppression_rules_name ON suppression_rules (name COLLATE NOCASE)
    WHERE deleted_at IS NULL;

CREATE INDEX alerts_suppressed_by_rule ON alerts (suppressed_by_rule)
    WHERE suppressed_by_rule IS NOT NULL;

-- Covers "open alerts of this type (in this id range)" with their severity, so matching reads
-- no alert row: a row holds the raw record, and its later columns cost overflow pages.
CREATE INDEX alerts_type_id_status ON alerts (alert_type, id, status, severity_rank);

-- Threat-intelligence reports made: for which incident or alert, which type and TLP, where the
-- PDF was written, by whom and when. Listed per incident ("reports made").

CREATE TABLE reports (
    id INTEGER PRIMARY KEY,
    target_type TEXT NOT NULL CHECK (target_type IN ('incident', 'alert')),
    target_id INTEGER NOT NULL,
    type TEXT NOT NULL CHECK (type IN ('activity-group', 'campaign', 'summary')),
    tlp TEXT NOT NULL CHECK (tlp IN ('CLEAR', 'GREEN', 'AMBER', 'RED')),
    path TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    pages INTEGER NOT NULL,
    analyst TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX reports_target ON reports (target_type, target_id, created_at DESC);

-- Playbook runs (manual and automatic) and workflow-automation firings.

CREATE TABLE playbook_runs (
    id INTEGER PRIMARY KEY,
    run_key TEXT NOT NULL UNIQUE,            -- playbook + target + request id: a repeat returns this run
    idempotency_key TEXT NOT NULL,           -- sent to the receiver; a retry reuses its original's key
    playbook TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('webhook', 'command')),
    target_type TEXT NOT NULL CHECK (target_type IN ('alert', 'incident')),
    target_id INTEGER NOT NULL,
    trigger TEXT NOT NULL CHECK (trigger IN ('manual', 'automatic')),
    rule TEXT NOT NULL DEFAULT '',           -- automation rule that fired it
    actor TEXT NOT NULL,
    retry_of INTEGER REFERENCES playbook_runs (id),
    status TEXT NOT NULL CHECK (status IN ('running', 'success', 'failed', 'timeout')),
    truncated INTEGER NOT NULL DEFAULT 0,
    http_status INTEGER,
    exit_code INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    started_at TEXT NOT NULL,
    deadline_at TEXT NOT NULL,               -- a 'running' row past this was abandoned
    finished_at TEXT,
    duration_ms INTEGER,
    output TEXT NOT NULL DEFAULT '',         -- excerpt, secrets redacted
    error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX playbook_runs_target ON playbook_runs (target_type, target_id, id DESC);
-- One run of a playbook per target at a time: two analysts pressing `t` together execute once.
CREATE UNIQUE INDEX playbook_runs_in_flight ON playbook_runs (playbook, target_type, target_id)
    WHERE status = 'running';

-- A workflow-automation rule fires at most once per target and trigger.
CREATE TABLE automation_firings (
    rule TEXT NOT NULL,
    trigger TEXT NOT NULL,
    target_type TEXT NOT NULL CHECK (target_type IN ('alert', 'incident')),
    target_id INTEGER NOT NULL,
    run_id INTEGER NOT NULL REFERENCES playbook_runs (id),
    at TEXT NOT NULL,
    PRIMARY KEY (rule, trigger, target_type, target_id)
) WITHOUT ROWID;

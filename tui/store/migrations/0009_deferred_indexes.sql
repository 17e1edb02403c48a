-- Secondary indexes a bulk import dropped and has yet to build again (tui/store/bulk.py).
-- The rows outlive a killed import, so the next writable open builds what it left out.
CREATE TABLE deferred_indexes (
    name TEXT PRIMARY KEY,
    sql TEXT NOT NULL,       -- the index's CREATE statement, as sqlite_master held it
    owner_host TEXT NOT NULL,
    owner_pid INTEGER NOT NULL,
    at TEXT NOT NULL
) WITHOUT ROWID;

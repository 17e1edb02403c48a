-- The alerts list header counts rows by severity and by status for any filter of those two:
-- one covering index answers all four combinations without reading the table.
CREATE INDEX alerts_severity_status ON alerts (severity_rank, status);

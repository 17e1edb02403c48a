-- alerts_type_id_status (0002) starts with alert_type, so it answers every lookup alerts_type
-- did; the duplicate only cost every import an extra index write per alert.
DROP INDEX IF EXISTS alerts_type;

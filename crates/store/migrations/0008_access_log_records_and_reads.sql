-- The access log logs what the user was given: one row per (read, information type, care
-- giver, care unit, activity), carrying the ids of the records delivered as a JSON array of
-- {"source_system_hsa_id", "document_id"} (the national log service's resource model). Rows
-- written before this migration carry none ('[]').
ALTER TABLE sec_access_log ADD COLUMN record_ids TEXT NOT NULL DEFAULT '[]';

-- Every read of the access log itself (by a log auditor through the JSON API, or the patient's
-- log extract through GetAccessLogsForPatient): who, in which assignment, through which system,
-- when, for what purpose, and what was asked. Append-only: rows are never changed or deleted.
-- `id` is a UUIDv7 (time-ordered).
CREATE TABLE sec_access_log_reads (
    id TEXT PRIMARY KEY,
    -- YYYYMMDDhhmmss, Swedish local time.
    time TEXT NOT NULL,
    -- The system the read came through (its certificate's HSA-id, or the original consumer).
    system_hsa_id TEXT NOT NULL,
    purpose TEXT NOT NULL,
    -- The user and the assignment they acted in; NULL for the citizen channel, where the
    -- consumer system authenticated the citizen.
    user_hsa_id TEXT,
    user_assignment_hsa_id TEXT,
    user_care_giver_hsa_id TEXT,
    -- What was asked: `patient`, `user`, `care_giver`, `follow_up` or `patient_extract`,
    -- and its value (a patient id, an HSA-id or a time window).
    query_kind TEXT NOT NULL,
    query_value TEXT NOT NULL
);
CREATE INDEX sec_access_log_reads_time ON sec_access_log_reads (time);
CREATE INDEX sec_access_log_reads_user ON sec_access_log_reads (user_hsa_id, id);

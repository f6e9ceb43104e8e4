-- The access log (åtkomstlogg, PDL 4 kap. 3 §): one row for every record shown to a user.
-- Append-only: rows are never changed; the only deletion is the purge after the retention period.
-- `id` is a UUIDv7 (time-ordered), so `ORDER BY id DESC` is newest first and the indexes below
-- serve "newest first, paged" for a patient, a user and a care giver.
CREATE TABLE sec_access_log (
    id TEXT PRIMARY KEY,
    -- YYYYMMDDhhmmss, Swedish local time.
    time TEXT NOT NULL,
    system_hsa_id TEXT NOT NULL,
    activity TEXT NOT NULL,
    purpose TEXT NOT NULL,
    -- The user and the assignment they acted in.
    user_hsa_id TEXT NOT NULL,
    user_name TEXT NOT NULL,
    user_assignment_hsa_id TEXT NOT NULL,
    user_assignment_name TEXT NOT NULL,
    user_care_unit_hsa_id TEXT NOT NULL,
    user_care_unit_name TEXT NOT NULL,
    user_care_giver_hsa_id TEXT NOT NULL,
    user_care_giver_name TEXT NOT NULL,
    -- The resource: what was shown, whose, and where the information comes from.
    information_type TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    resource_care_giver_hsa_id TEXT NOT NULL,
    resource_care_unit_hsa_id TEXT NOT NULL
);
CREATE INDEX sec_access_log_patient ON sec_access_log (patient_id, id);
CREATE INDEX sec_access_log_user ON sec_access_log (user_hsa_id, id);
CREATE INDEX sec_access_log_user_care_giver ON sec_access_log (user_care_giver_hsa_id, id);
CREATE INDEX sec_access_log_time ON sec_access_log (time);

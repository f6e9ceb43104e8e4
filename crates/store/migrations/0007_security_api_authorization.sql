-- The security API's authorization model, the directory's audit trail, unit-bound revokes.

-- The care givers a consumer system is registered to serve (besides its own
-- `sec_dir_systems.care_giver_hsa_id`): the security API acts only for their users.
CREATE TABLE sec_dir_system_care_givers (
    system_hsa_id TEXT NOT NULL REFERENCES sec_dir_systems (hsa_id),
    care_giver_hsa_id TEXT NOT NULL REFERENCES sec_dir_care_givers (hsa_id),
    PRIMARY KEY (system_hsa_id, care_giver_hsa_id)
);

-- Every replacement of the directory: who (an administrator's certificate or the CLI's
-- operator), when, how, and what changed (counts before and after, SHA-256 digests).
CREATE TABLE sec_dir_audit (
    id TEXT PRIMARY KEY,
    changed_at TEXT NOT NULL,
    changed_by TEXT NOT NULL,
    -- `api` or `cli`.
    via TEXT NOT NULL,
    -- 1 when an administrator forced a replacement that drops much of the directory.
    forced BIGINT NOT NULL,
    care_givers_before BIGINT NOT NULL,
    care_givers_after BIGINT NOT NULL,
    care_units_before BIGINT NOT NULL,
    care_units_after BIGINT NOT NULL,
    persons_before BIGINT NOT NULL,
    persons_after BIGINT NOT NULL,
    assignments_before BIGINT NOT NULL,
    assignments_after BIGINT NOT NULL,
    systems_before BIGINT NOT NULL,
    systems_after BIGINT NOT NULL,
    digest_before TEXT NOT NULL,
    digest_after TEXT NOT NULL
);
CREATE INDEX sec_dir_audit_changed_at ON sec_dir_audit (changed_at);

-- A personal temporary revoke is for that person at one care unit (the blocking service's
-- contract: the unit is mandatory, the employee optional). Rows from before this migration
-- have no unit and lift the block for nobody (fail closed).
ALTER TABLE sec_block_revokes ADD COLUMN revoke_for_unit_hsa_id TEXT;

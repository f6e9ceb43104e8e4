-- Blocks (spärrar, PDL 4 kap. 4 §) and their temporary revokes (tillfälliga hävningar).
-- A block is registered on a care giver (kind `Outer`, care_unit_hsa_id NULL) or on a care unit
-- within a care giver (kind `Inner`). Revoked (the patient's wish) and deleted (wrong
-- registration) blocks are kept as history: rows are never removed, only `revoked_*` /
-- `deleted_*` are set, once.
CREATE TABLE sec_blocks (
    id TEXT PRIMARY KEY,
    patient_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    care_giver_hsa_id TEXT NOT NULL,
    care_unit_hsa_id TEXT,
    -- The period of registration time the block covers (YYYYMMDDhhmmss, inclusive); both NULL
    -- for every record of the care giver / unit.
    period_from TEXT,
    period_to TEXT,
    -- Information types not covered (`lak`, `upp`), comma-separated; empty for none.
    excluded_types TEXT NOT NULL,
    registered_at TEXT NOT NULL,
    registered_by TEXT NOT NULL,
    revoked_at TEXT,
    revoked_by TEXT,
    deleted_at TEXT,
    deleted_by TEXT
);
CREATE INDEX sec_blocks_patient ON sec_blocks (patient_id);

-- A temporary revoke lifts one block for one care unit or one employee until valid_until.
-- `patient_id` is the block's, so a patient's blocks and revokes are read with one query each.
CREATE TABLE sec_block_revokes (
    id TEXT PRIMARY KEY,
    block_id TEXT NOT NULL REFERENCES sec_blocks (id),
    patient_id TEXT NOT NULL,
    -- `CareUnit` or `Employee`, and that unit's or person's HSA-id.
    revoke_for TEXT NOT NULL,
    revoke_for_hsa_id TEXT NOT NULL,
    -- `PatientConsent` or `Emergency`.
    reason TEXT NOT NULL,
    valid_until TEXT NOT NULL,
    registered_at TEXT NOT NULL,
    registered_by TEXT NOT NULL
);
CREATE INDEX sec_block_revokes_patient ON sec_block_revokes (patient_id);
CREATE INDEX sec_block_revokes_block ON sec_block_revokes (block_id);

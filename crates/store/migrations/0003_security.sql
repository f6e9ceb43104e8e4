-- Security services: HSA directory, patient relations, consents and emergency accesses.

-- HSA directory (katalogtjänst HSA): care givers, units, people, their assignments, systems.
CREATE TABLE sec_dir_care_givers (
    hsa_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    org_no TEXT NOT NULL,
    kind TEXT NOT NULL
);
CREATE TABLE sec_dir_care_units (
    hsa_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    care_giver_hsa_id TEXT NOT NULL REFERENCES sec_dir_care_givers (hsa_id)
);
CREATE TABLE sec_dir_persons (
    hsa_id TEXT PRIMARY KEY,
    given_name TEXT NOT NULL,
    family_name TEXT NOT NULL,
    title TEXT NOT NULL
);
CREATE TABLE sec_dir_assignments (
    hsa_id TEXT PRIMARY KEY,
    person_hsa_id TEXT NOT NULL REFERENCES sec_dir_persons (hsa_id),
    name TEXT NOT NULL,
    care_unit_hsa_id TEXT NOT NULL REFERENCES sec_dir_care_units (hsa_id),
    purpose TEXT NOT NULL,
    -- Rights as `activity;informationType;scope`, one per line.
    rights TEXT NOT NULL
);
CREATE INDEX sec_dir_assignments_person ON sec_dir_assignments (person_hsa_id);
CREATE TABLE sec_dir_systems (
    hsa_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    care_giver_hsa_id TEXT
);

-- Patient relations (patientrelation), attested by the user.
CREATE TABLE sec_relations (
    id TEXT PRIMARY KEY,
    patient_id TEXT NOT NULL,
    person_hsa_id TEXT NOT NULL,
    care_unit_hsa_id TEXT NOT NULL,
    care_giver_hsa_id TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    valid_to TEXT NOT NULL,
    registered_at TEXT NOT NULL,
    cancelled_at TEXT,
    cancelled_by TEXT
);
CREATE INDEX sec_relations_patient ON sec_relations (patient_id, person_hsa_id);

-- Consents (samtycke) and emergency accesses (nödöppning). Cancelled (the patient's wish) and
-- deleted (wrong registration) rows are kept as history.
CREATE TABLE sec_consents (
    id TEXT PRIMARY KEY,
    patient_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    scope TEXT NOT NULL,
    care_giver_hsa_id TEXT NOT NULL,
    care_unit_hsa_id TEXT NOT NULL,
    person_hsa_id TEXT,
    reason TEXT,
    represented_by TEXT,
    valid_from TEXT NOT NULL,
    valid_to TEXT NOT NULL,
    registered_at TEXT NOT NULL,
    registered_by TEXT NOT NULL,
    cancelled_at TEXT,
    cancelled_by TEXT,
    deleted_at TEXT,
    deleted_by TEXT,
    deleted_reason TEXT
);
CREATE INDEX sec_consents_patient ON sec_consents (patient_id, care_unit_hsa_id);

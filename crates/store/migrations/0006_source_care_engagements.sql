-- Reference source system: the care giver's bookings and enrolments, which answer
-- AssertCareEngagement ("available patient").
CREATE TABLE source_care_engagements (
    id TEXT PRIMARY KEY,
    source_hsa_id TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    care_unit_hsa_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    start_date TEXT NOT NULL,
    -- NULL while the engagement is current.
    end_date TEXT
);
CREATE INDEX source_care_engagements_patient ON source_care_engagements (source_hsa_id, patient_id);

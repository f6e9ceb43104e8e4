-- Reference source system: engagement-index changes not yet accepted by the index. Written in
-- the same transaction as the record change, removed once the index has taken the update.
CREATE TABLE source_ei_outbox (
    id TEXT PRIMARY KEY,
    source_hsa_id TEXT NOT NULL,
    contract_namespace TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX source_ei_outbox_source ON source_ei_outbox (source_hsa_id);

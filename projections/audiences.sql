-- Which agencies each item concerns: every agency its stream has named (sender, receiver,
-- lead, co-responsible, police, procuratorate…). Live notices to liaisons are filtered by
-- it (projections/changes.py). Idempotent.
CREATE TABLE IF NOT EXISTS item_audiences (
    item_id uuid NOT NULL,
    agency_id uuid NOT NULL,
    PRIMARY KEY (item_id, agency_id)
);

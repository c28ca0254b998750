-- Read tables of case transfers (行刑衔接) and transfers to discipline inspection (纪检监察),
-- rebuilt at will from the event log. Idempotent: runs at each start of a projection or API.
CREATE TABLE IF NOT EXISTS case_transfers (
    id uuid PRIMARY KEY,
    kind text NOT NULL,                  -- CRIMINAL (to the police) or DISCIPLINE
    campaign_id uuid,
    agency_id uuid NOT NULL,             -- the transferring administrative agency
    agency_name text NOT NULL,
    receiver_id uuid NOT NULL,           -- the police agency now in charge, or the commission
    receiver_name text NOT NULL,
    receiver_ids uuid[] NOT NULL,        -- every police agency it went to (forwarding)
    procuratorate_id uuid,
    procuratorate_name text NOT NULL DEFAULT '',
    status text NOT NULL,
    case_number text NOT NULL DEFAULT '',
    suspect text NOT NULL DEFAULT '',    -- the suspect, or the official / party member
    suspected_offence text NOT NULL DEFAULT '',
    category text NOT NULL DEFAULT '',   -- discipline: PUBLIC_OFFICIAL, PARTY_MEMBER, BOTH
    facts text NOT NULL,
    attachments jsonb NOT NULL,
    outcome text NOT NULL DEFAULT '',    -- the last decision's reasons or opinion
    criminal_case_number text NOT NULL DEFAULT '',
    deadlines jsonb NOT NULL DEFAULT '{}'::jsonb,  -- statutory due instants by step key
    due_at timestamptz,                  -- the due of the statutory clock running now
    due_step text NOT NULL DEFAULT '',
    breaches jsonb NOT NULL DEFAULT '[]'::jsonb,   -- [{key, step, label, due, at}]
    reported_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    reported_position bigint NOT NULL,   -- keyset of the list's cursor
    last_position bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS case_transfers_agency ON case_transfers (agency_id, reported_position);
CREATE INDEX IF NOT EXISTS case_transfers_order ON case_transfers (reported_position);
-- the list's other orders (projections/case_transfer_queries.py TRANSFER_ORDERS)
CREATE INDEX IF NOT EXISTS case_transfers_due_order
    ON case_transfers ((coalesce(due_at, TIMESTAMPTZ '9999-12-31 00:00:00+00')), reported_position);
CREATE INDEX IF NOT EXISTS case_transfers_updated_order ON case_transfers (last_position);

CREATE TABLE IF NOT EXISTS case_transfer_history (
    transfer_id uuid NOT NULL,
    version integer NOT NULL,
    at timestamptz NOT NULL,
    type text NOT NULL,
    actor text NOT NULL,
    summary text NOT NULL,
    position bigint NOT NULL,
    PRIMARY KEY (transfer_id, version)
);

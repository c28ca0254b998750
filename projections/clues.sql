-- Read tables of clues (线索/举报). No column holds any part of a reporter's identity:
-- only whether the report is anonymous or real-name. Idempotent.
CREATE TABLE IF NOT EXISTS clues (
    id uuid PRIMARY KEY,
    agency_id uuid NOT NULL,             -- the receiving agency
    handling_agency_id uuid NOT NULL,    -- the receiver, or the target of a referral
    campaign_id uuid,
    channel text NOT NULL,
    institution text NOT NULL,
    person text NOT NULL,                -- the person reported on, never the reporter
    content text NOT NULL,
    attachments jsonb NOT NULL,
    anonymous boolean NOT NULL,
    real_name boolean NOT NULL,
    status text NOT NULL,
    triage_note text NOT NULL DEFAULT '', -- handling note, dismissal reason or referral reason
    referred_to uuid,
    referral_id uuid,
    merged_into uuid,
    outcome text NOT NULL DEFAULT '',
    reply_due timestamptz,
    replied_at timestamptz,
    reply_channel text NOT NULL DEFAULT '',
    reveal_count integer NOT NULL DEFAULT 0,
    received_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    received_position bigint NOT NULL,   -- keyset of the list's cursor
    last_position bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS clues_agency ON clues (agency_id, received_position);
CREATE INDEX IF NOT EXISTS clues_handling ON clues (handling_agency_id, received_position);
CREATE INDEX IF NOT EXISTS clues_order ON clues (received_position);
-- the list's other orders (projections/clue_queries.py CLUE_ORDERS)
CREATE INDEX IF NOT EXISTS clues_reply_due_order
    ON clues ((coalesce(reply_due, TIMESTAMPTZ '9999-12-31 00:00:00+00')), received_position);
CREATE INDEX IF NOT EXISTS clues_updated_order ON clues (last_position);

CREATE TABLE IF NOT EXISTS clue_history (
    clue_id uuid NOT NULL,
    version integer NOT NULL,
    at timestamptz NOT NULL,
    type text NOT NULL,
    actor text NOT NULL,
    summary text NOT NULL,
    position bigint NOT NULL,
    PRIMARY KEY (clue_id, version)
);

-- Who looked at a reporter's identity, when and why: for auditors.
CREATE TABLE IF NOT EXISTS clue_reveals (
    clue_id uuid NOT NULL,
    version integer NOT NULL,
    agency_id uuid NOT NULL,
    actor text NOT NULL,
    reason text NOT NULL,
    at timestamptz NOT NULL,
    position bigint NOT NULL,
    PRIMARY KEY (clue_id, version)
);
CREATE INDEX IF NOT EXISTS clue_reveals_order ON clue_reveals (position);

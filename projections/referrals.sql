-- Read tables of cross-agency referrals (移送/转办), rebuilt at will from the event log.
-- Idempotent: runs at each start of a projection or API process.
CREATE TABLE IF NOT EXISTS referrals (
    id uuid PRIMARY KEY,
    parent_id uuid,                      -- a child of a group referral
    is_group boolean NOT NULL,           -- a group parent: rolls up its children
    campaign_id uuid,
    sender_agency_id uuid NOT NULL,
    receiver_agency_id uuid NOT NULL,    -- the current receiver (after reassignments)
    receiver_name text NOT NULL,
    assigned_ids uuid[] NOT NULL,        -- every receiver it was ever assigned to
    status text NOT NULL,
    reason text NOT NULL,
    subject_kind text NOT NULL,
    subject_id uuid,
    attachments jsonb NOT NULL,
    round integer NOT NULL,
    claimed_by text NOT NULL DEFAULT '',
    claim_due timestamptz,
    answer_due timestamptz,
    due_at timestamptz,                  -- the running clock's due: claim or answer, else null
    outcome text NOT NULL DEFAULT '',
    case_number text NOT NULL DEFAULT '',
    sent_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    sent_position bigint NOT NULL,       -- keyset of the queue's cursor
    last_position bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS referrals_receiver ON referrals (receiver_agency_id, sent_position);
CREATE INDEX IF NOT EXISTS referrals_sender ON referrals (sender_agency_id, sent_position);
CREATE INDEX IF NOT EXISTS referrals_order ON referrals (sent_position);
CREATE INDEX IF NOT EXISTS referrals_due ON referrals (due_at) WHERE due_at IS NOT NULL;
-- the queue's other orders (projections/referral_queries.py REFERRAL_ORDERS)
CREATE INDEX IF NOT EXISTS referrals_due_order
    ON referrals ((coalesce(due_at, TIMESTAMPTZ '9999-12-31 00:00:00+00')), sent_position);
CREATE INDEX IF NOT EXISTS referrals_updated_order ON referrals (last_position);

CREATE TABLE IF NOT EXISTS referral_history (
    referral_id uuid NOT NULL,
    version integer NOT NULL,
    at timestamptz NOT NULL,
    type text NOT NULL,
    actor text NOT NULL,
    summary text NOT NULL,
    position bigint NOT NULL,
    PRIMARY KEY (referral_id, version)
);

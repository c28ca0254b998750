-- Read tables of the dashboard figures (ADR 0018), rebuilt at will from the event log.
-- Idempotent: runs at each start of a projection or API process.
-- One row per clocked item: issues, referrals (group children, not the group parent), clues.
CREATE TABLE IF NOT EXISTS stat_items (
    item_id uuid PRIMARY KEY,
    kind text NOT NULL,                  -- issue | referral | clue
    campaign_id uuid,                    -- null: counted in the global figures only
    agency_id uuid NOT NULL,             -- lead agency, current receiver, handling agency
    label text NOT NULL,
    opened_at timestamptz NOT NULL,
    closed_at timestamptz,               -- signed off, accepted, concluded/dismissed/...
                                         -- (a clue: and its reply given, if one is owed)
    due_date date,                       -- the due day in force now, null if none runs
    done_at timestamptz,                 -- the act judged for timeliness (sign-off, answer)
    done_due date                        -- the due day in force at that act
);
-- A clue closes when its handling has ended and no reply to a real-name reporter is owed
-- (ADR 0035): both facts are kept, closed_at is set once both hold. Guarded rather than
-- `ADD COLUMN IF NOT EXISTS` (see schema.sql). After upgrading, rebuild this model
-- (`rectify rebuild-projections --model statistics`) so old clues are judged the new way.
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema()
                   AND table_name = 'stat_items' AND column_name = 'ended_at') THEN
        ALTER TABLE stat_items ADD COLUMN ended_at timestamptz;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema()
                   AND table_name = 'stat_items' AND column_name = 'reply_owed') THEN
        ALTER TABLE stat_items ADD COLUMN reply_owed boolean NOT NULL DEFAULT false;
    END IF;
END $$;
CREATE INDEX IF NOT EXISTS stat_items_campaign ON stat_items (campaign_id, kind);
CREATE INDEX IF NOT EXISTS stat_items_overdue ON stat_items (due_date) WHERE closed_at IS NULL;

-- One row per assignment of a referral to an agency (the first send, then each reassignment).
CREATE TABLE IF NOT EXISTS stat_referral_rounds (
    referral_id uuid NOT NULL,
    round integer NOT NULL,
    agency_id uuid NOT NULL,
    assigned_at timestamptz NOT NULL,
    claimed_at timestamptz,
    answered_at timestamptz,             -- the first answer of the round
    PRIMARY KEY (referral_id, round)
);

-- One row per recorded reminder, overdue or escalation rung of any item's clock.
CREATE TABLE IF NOT EXISTS stat_escalations (
    item_id uuid NOT NULL,
    key text NOT NULL,
    kind text NOT NULL,
    rung text NOT NULL,
    at timestamptz NOT NULL,
    PRIMARY KEY (item_id, key)
);

-- Read tables of the ledger, rebuilt at will from the event log.
-- Every statement is idempotent: it runs at each start of a projection or API process.
CREATE TABLE IF NOT EXISTS agencies (
    id uuid PRIMARY KEY,
    name text NOT NULL,
    kind text NOT NULL,
    level text NOT NULL DEFAULT '',
    aliases text[] NOT NULL DEFAULT '{}',
    region text
);
-- Columns added later reach existing tables on the next start. Guarded rather than
-- `ADD COLUMN IF NOT EXISTS`, which takes an exclusive lock even when the column exists
-- and so deadlocks with a projection batch writing these tables meanwhile.
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema()
                   AND table_name = 'agencies' AND column_name = 'region') THEN
        ALTER TABLE agencies ADD COLUMN region text;
    END IF;
END $$;

CREATE TABLE IF NOT EXISTS campaigns (
    id uuid PRIMARY KEY,
    title text NOT NULL,
    lead_agency_id uuid,
    registered_at timestamptz NOT NULL,
    member_ids uuid[] NOT NULL DEFAULT '{}',
    -- [{"name": …, "starts": "YYYY-MM-DD", "ends": "YYYY-MM-DD"}] in date order
    phases jsonb NOT NULL DEFAULT '[]'
);
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema()
                   AND table_name = 'campaigns' AND column_name = 'member_ids') THEN
        ALTER TABLE campaigns ADD COLUMN member_ids uuid[] NOT NULL DEFAULT '{}';
    END IF;
END $$;
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema()
                   AND table_name = 'campaigns' AND column_name = 'phases') THEN
        ALTER TABLE campaigns ADD COLUMN phases jsonb NOT NULL DEFAULT '[]';
    END IF;
END $$;

CREATE TABLE IF NOT EXISTS issues (
    id uuid PRIMARY KEY,
    campaign_id uuid NOT NULL,
    number text NOT NULL,
    problem text NOT NULL,
    measures jsonb NOT NULL,
    status text NOT NULL,
    lead_agency_id uuid NOT NULL,
    deadline_kind text NOT NULL,
    due_date date,
    deadline_text text NOT NULL,
    cycle integer NOT NULL DEFAULT 1,
    pending_extension_due date,
    -- the wording of the extension asked for (NULL: none pending; a date alone is written
    -- as its ISO date): the 延期审批 list shows what was asked, as it was asked
    pending_extension_text text,
    registered_at timestamptz NOT NULL,
    closed_at timestamptz,
    updated_at timestamptz NOT NULL,
    -- log position of the Registered event: ledger order, and the keyset of the cursor
    registered_position bigint NOT NULL,
    last_position bigint NOT NULL
);
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema()
                   AND table_name = 'issues' AND column_name = 'pending_extension_text') THEN
        ALTER TABLE issues ADD COLUMN pending_extension_text text;
        -- requests already pending keep being listed; their wording comes with a rebuild
        UPDATE issues SET pending_extension_text = pending_extension_due::text
            WHERE pending_extension_due IS NOT NULL;
    END IF;
END $$;
CREATE INDEX IF NOT EXISTS issues_campaign_order ON issues (campaign_id, registered_position);
CREATE INDEX IF NOT EXISTS issues_order ON issues (registered_position);
CREATE INDEX IF NOT EXISTS issues_due_open ON issues (due_date) WHERE status <> 'CLOSED';
-- the list's other orders (projections/queries.py ISSUE_ORDERS): the same expressions
CREATE INDEX IF NOT EXISTS issues_due_order
    ON issues ((coalesce(due_date, DATE '9999-12-31')), registered_position);
CREATE INDEX IF NOT EXISTS issues_updated_order ON issues (last_position);
-- the work queue's DUE order within its issue branches (projections/work_queue_queries.py):
-- an agency's first page read in this order, stopping at the page's end (ADR 0060)
CREATE INDEX IF NOT EXISTS issues_work_due ON issues ((coalesce(due_date, DATE '9000-01-01')), id);

CREATE TABLE IF NOT EXISTS issue_responsibilities (
    issue_id uuid NOT NULL,
    agency_id uuid NOT NULL,
    role text NOT NULL CHECK (role IN ('LEAD', 'CO')),
    ordinal integer NOT NULL,  -- 0 for the lead, then the co-responsible as listed
    PRIMARY KEY (issue_id, agency_id)
);
CREATE INDEX IF NOT EXISTS issue_responsibilities_agency
    ON issue_responsibilities (agency_id, issue_id);

CREATE TABLE IF NOT EXISTS issue_history (
    issue_id uuid NOT NULL,
    version integer NOT NULL,
    at timestamptz NOT NULL,
    type text NOT NULL,
    actor text NOT NULL,
    summary text NOT NULL,
    position bigint NOT NULL,
    PRIMARY KEY (issue_id, version)
);

CREATE TABLE IF NOT EXISTS projection_tracking (
    name text PRIMARY KEY,
    position bigint NOT NULL
);

-- Read table of the issues' clocks (due instant as the clock runs it, provisional mark,
-- pause, last milestone), rebuilt at will from the event log. Idempotent.
CREATE TABLE IF NOT EXISTS issue_clocks (
    issue_id uuid PRIMARY KEY,
    cycle integer NOT NULL DEFAULT 1,
    due_at timestamptz,                   -- as last scheduled by the clock; null before
    provisional boolean NOT NULL DEFAULT false,
    policy_version integer,
    rings jsonb NOT NULL DEFAULT '[]',    -- ["rung@instant", …] of the current schedule
    paused_since timestamptz,             -- null while running
    pause_reason text NOT NULL DEFAULT '',
    last_milestone text NOT NULL DEFAULT '',
    last_milestone_at timestamptz,
    closed boolean NOT NULL DEFAULT false,
    last_position bigint NOT NULL
);

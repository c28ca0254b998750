-- Read tables of campaign progress (ADR 0020), rebuilt at will from the event log.
-- Idempotent: runs at each start of a projection or API process.
CREATE TABLE IF NOT EXISTS progress_targets (
    campaign_id uuid NOT NULL,
    category_key text NOT NULL,          -- normalised category, matched with inspections
    category text NOT NULL,
    population integer NOT NULL,
    required_percent integer NOT NULL,
    region text,
    PRIMARY KEY (campaign_id, category_key)
);

CREATE TABLE IF NOT EXISTS progress_thresholds (
    campaign_id uuid PRIMARY KEY,
    threshold integer NOT NULL
);

-- One row per inspected institution (a re-inspection only moves last_on).
CREATE TABLE IF NOT EXISTS progress_inspections (
    inspection_id uuid PRIMARY KEY,
    campaign_id uuid NOT NULL,
    category_key text NOT NULL,
    institution text NOT NULL,
    region text,
    first_on date NOT NULL,
    last_on date NOT NULL
);
CREATE INDEX IF NOT EXISTS progress_inspections_campaign
    ON progress_inspections (campaign_id, category_key);

CREATE TABLE IF NOT EXISTS progress_cases (
    case_id uuid PRIMARY KEY,
    agency_id uuid NOT NULL,             -- its region is looked up in agencies when counted
    campaign_id uuid,
    filed_on date NOT NULL
);
-- The case's number, for the list behind a region's case count (ADR 0048). Guarded rather
-- than `ADD COLUMN IF NOT EXISTS` (see schema.sql); rows projected before stay '' until
-- `rectify rebuild-projections --model progress`.
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema()
                   AND table_name = 'progress_cases' AND column_name = 'number') THEN
        ALTER TABLE progress_cases ADD COLUMN number text NOT NULL DEFAULT '';
    END IF;
END $$;

-- One row per agency owing one period's report.
CREATE TABLE IF NOT EXISTS progress_reports (
    item_id uuid NOT NULL,
    agency_id uuid NOT NULL,
    campaign_id uuid NOT NULL,
    opened_on date NOT NULL,             -- the day (CST) the item was opened
    due_date date NOT NULL,
    submitted_on date,                   -- the day (CST) this agency's report was recorded
    PRIMARY KEY (item_id, agency_id)
);
-- The report's name and period, for the work queue's row title (ADR 0044). Guarded rather
-- than `ADD COLUMN IF NOT EXISTS` (see schema.sql); rows projected before stay '' until
-- `rectify rebuild-projections --model progress`.
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema()
                   AND table_name = 'progress_reports' AND column_name = 'name') THEN
        ALTER TABLE progress_reports ADD COLUMN name text NOT NULL DEFAULT '';
        ALTER TABLE progress_reports ADD COLUMN period text NOT NULL DEFAULT '';
    END IF;
END $$;
CREATE INDEX IF NOT EXISTS progress_reports_owed ON progress_reports (agency_id)
    WHERE submitted_on IS NULL;

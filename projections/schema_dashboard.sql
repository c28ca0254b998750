-- Counters of the dashboard (ADR 0060), kept by projections/dashboard_counts.py: the
-- figures of `dashboard` are sums over a campaign's few counter rows, not aggregates over
-- its issues. Idempotent: runs at each start of a projection or API process. Named to
-- sort after schema.sql: the first start after an upgrade fills them from the ledger's
-- rows already there (otherwise they would start empty behind a read side at the head).
--
-- Every issue as last counted: the "before" of the next change (status or due day moved).
-- due is the due day in force, 9999-12-31 when undated (never before any today).
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema()
                   AND table_name = 'dashboard_issues') THEN
        CREATE TABLE dashboard_issues (
            issue_id uuid PRIMARY KEY,
            campaign_id uuid NOT NULL,
            status text NOT NULL,
            due date NOT NULL
        );
        INSERT INTO dashboard_issues (issue_id, campaign_id, status, due)
            SELECT id, campaign_id, status, coalesce(due_date, DATE '9999-12-31') FROM issues;
    END IF;
END $$;

-- Issues per campaign, status (OPEN, SUBMITTED, CLOSED) and due day: a campaign has a row
-- per status and distinct due day of its issues.
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema()
                   AND table_name = 'dashboard_counts') THEN
        CREATE TABLE dashboard_counts (
            campaign_id uuid NOT NULL,
            status text NOT NULL,
            due date NOT NULL,
            n integer NOT NULL,
            PRIMARY KEY (campaign_id, status, due)
        );
        INSERT INTO dashboard_counts (campaign_id, status, due, n)
            SELECT campaign_id, status, due, count(*) FROM dashboard_issues GROUP BY 1, 2, 3;
    END IF;
END $$;

-- The same per responsible agency and role (LEAD or CO): issue_responsibilities rows.
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema()
                   AND table_name = 'dashboard_agency_counts') THEN
        CREATE TABLE dashboard_agency_counts (
            campaign_id uuid NOT NULL,
            agency_id uuid NOT NULL,
            role text NOT NULL,
            status text NOT NULL,
            due date NOT NULL,
            n integer NOT NULL,
            PRIMARY KEY (campaign_id, agency_id, role, status, due)
        );
        INSERT INTO dashboard_agency_counts (campaign_id, agency_id, role, status, due, n)
            SELECT d.campaign_id, r.agency_id, r.role, d.status, d.due, count(*)
            FROM dashboard_issues d JOIN issue_responsibilities r ON r.issue_id = d.issue_id
            GROUP BY 1, 2, 3, 4, 5;
    END IF;
END $$;
-- an agency's work queue counts its issues from here (projections/work_queue_queries.py)
CREATE INDEX IF NOT EXISTS dashboard_agency_counts_agency
    ON dashboard_agency_counts (agency_id, status);
-- rows whose count fell to zero are deleted after each change; this finds them at once
CREATE INDEX IF NOT EXISTS dashboard_counts_zero ON dashboard_counts (campaign_id) WHERE n = 0;
CREATE INDEX IF NOT EXISTS dashboard_agency_counts_zero
    ON dashboard_agency_counts (campaign_id) WHERE n = 0;

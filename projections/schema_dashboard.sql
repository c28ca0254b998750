-- Counters of the dashboard (ADR 0060), kept by projections/dashboard_counts.py: the
-- figures of `dashboard` are sums over a campaign's few counter rows, not aggregates over
-- its issues. Idempotent: runs at each start of a projection or API process. Named to
-- sort after schema.sql: the first start after an upgrade fills them from the ledger's
-- rows already there (otherwise they would start empty behind a read side at the head).
--
-- Every issue as last counted: the "before" of the next change (closed or due day moved).
-- due is the due day while open, 9999-12-31 when closed or undated: only open issues
-- with a date can be overdue, and closed ones need no date.
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema()
                   AND table_name = 'dashboard_issues') THEN
        CREATE TABLE dashboard_issues (
            issue_id uuid PRIMARY KEY,
            campaign_id uuid NOT NULL,
            closed boolean NOT NULL,
            due date NOT NULL
        );
        INSERT INTO dashboard_issues (issue_id, campaign_id, closed, due)
            SELECT id, campaign_id, status = 'CLOSED',
                CASE WHEN status = 'CLOSED' OR due_date IS NULL THEN DATE '9999-12-31'
                     ELSE due_date END
            FROM issues;
    END IF;
END $$;

-- Issues per campaign, closed or not, due day: a campaign has one row per distinct due
-- day of its open issues, plus one of closed ones (and one of undated open ones).
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema()
                   AND table_name = 'dashboard_counts') THEN
        CREATE TABLE dashboard_counts (
            campaign_id uuid NOT NULL,
            closed boolean NOT NULL,
            due date NOT NULL,
            n integer NOT NULL,
            PRIMARY KEY (campaign_id, closed, due)
        );
        INSERT INTO dashboard_counts (campaign_id, closed, due, n)
            SELECT campaign_id, closed, due, count(*) FROM dashboard_issues GROUP BY 1, 2, 3;
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
            closed boolean NOT NULL,
            due date NOT NULL,
            n integer NOT NULL,
            PRIMARY KEY (campaign_id, agency_id, role, closed, due)
        );
        INSERT INTO dashboard_agency_counts (campaign_id, agency_id, role, closed, due, n)
            SELECT d.campaign_id, r.agency_id, r.role, d.closed, d.due, count(*)
            FROM dashboard_issues d JOIN issue_responsibilities r ON r.issue_id = d.issue_id
            GROUP BY 1, 2, 3, 4, 5;
    END IF;
END $$;
-- rows whose count fell to zero are deleted after each change; this finds them at once
CREATE INDEX IF NOT EXISTS dashboard_counts_zero ON dashboard_counts (campaign_id) WHERE n = 0;
CREATE INDEX IF NOT EXISTS dashboard_agency_counts_zero
    ON dashboard_agency_counts (campaign_id) WHERE n = 0;

-- The in-app inbox: one row per notice (a recipient agency, or the office, told of a
-- clock milestone), and the state of its deliveries. Rebuilt at will from the event log.
CREATE TABLE IF NOT EXISTS notifications (
    id uuid PRIMARY KEY,
    position bigint NOT NULL,  -- log position of Notice.Issued: inbox order and keyset
    item_kind text NOT NULL,
    item_id uuid NOT NULL,
    kind text NOT NULL,
    rung text NOT NULL,
    agency_id uuid,  -- NULL: the office of a campaign that has no lead agency
    audience text NOT NULL,  -- '' everyone of the agency, 'coordinator' the office only
    title text NOT NULL,
    body text NOT NULL,
    at timestamptz NOT NULL,
    issued_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS notifications_agency_order ON notifications (agency_id, position);
CREATE INDEX IF NOT EXISTS notifications_audience_order ON notifications (audience, position);

CREATE TABLE IF NOT EXISTS notification_deliveries (
    id uuid PRIMARY KEY,
    notification_id uuid NOT NULL,
    channel text NOT NULL,
    address text NOT NULL,
    status text NOT NULL,
    attempts integer NOT NULL DEFAULT 0,
    last_error text,
    updated_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS notification_deliveries_notice
    ON notification_deliveries (notification_id);

-- Read marks are written by the API, not projected (docs/decisions/0010): a rebuild keeps
-- them, and they still match because notice ids are derived from the milestone.
CREATE TABLE IF NOT EXISTS notification_reads (
    notification_id uuid NOT NULL,
    reader text NOT NULL,  -- the user's subject
    read_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (reader, notification_id)
);

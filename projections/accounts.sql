-- User accounts as the admin page lists them (projections/accounts.py). Idempotent.
CREATE TABLE IF NOT EXISTS accounts (
    id uuid PRIMARY KEY,
    username text NOT NULL UNIQUE,
    display_name text NOT NULL,
    status text NOT NULL,
    role text,
    agency_id uuid,
    agency_name text,
    region text,
    failures integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL,
    changed_at timestamptz NOT NULL
);

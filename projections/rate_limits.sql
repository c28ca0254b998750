-- Rate limits shared by the API processes (api/rate_limits.py, ADR 0050). Not a read
-- model: nothing rebuilds it from the log. One row per limited key: the hits of each
-- second of the window, oldest first, ending at second `bucket`; whether the last check
-- was let through. Rows of keys not seen for a window are pruned (rectify/housekeeping.py).
CREATE TABLE IF NOT EXISTS rate_limits (
    key text PRIMARY KEY,
    bucket bigint NOT NULL,
    counts integer[] NOT NULL,
    admitted boolean NOT NULL
);

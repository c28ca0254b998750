-- Web sign-in state (api/sessions.py, ADR 0042). Not read models: nothing rebuilds them
-- from the log, and a rebuild leaves them alone. Idempotent.
-- A browser's session: the key is the sha256 of the cookie's random token (a copy of the
-- table lets nobody sign in); the user is the account's grant as it was at sign-in (a
-- change of the account ends its sessions).
CREATE TABLE IF NOT EXISTS web_sessions (
    token_sha256 text PRIMARY KEY,
    username text NOT NULL,
    display_name text NOT NULL,
    role text NOT NULL,
    agency_id text,
    agency_name text,
    region text,
    csrf_token text NOT NULL,
    created_at timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS web_sessions_username ON web_sessions (username);

-- 登录日志: every sign-in attempt, with where it came from; kept RECTIFY_SIGN_IN_LOG_DAYS
-- (pruned by age: rectify/housekeeping.py, ADR 0050).
CREATE TABLE IF NOT EXISTS sign_in_log (
    id bigserial PRIMARY KEY,
    at timestamptz NOT NULL,
    username text NOT NULL,
    outcome text NOT NULL,
    address text,
    user_agent text
);
CREATE INDEX IF NOT EXISTS sign_in_log_at ON sign_in_log (at);

-- A browser gone to the OIDC provider (api/oidc_sign_in.py): the PKCE verifier and nonce
-- wait here under the digest of the `state` it carries, for one use within ten minutes.
CREATE TABLE IF NOT EXISTS oidc_sign_ins (
    state_sha256 text PRIMARY KEY,
    code_verifier text NOT NULL,
    nonce text NOT NULL,
    created_at timestamptz NOT NULL
);

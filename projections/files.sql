-- Evidence files (整改佐证材料), content-addressed: each content once, never changed.
-- Not a read model: the files are the record itself, a rebuild leaves them alone.
CREATE TABLE IF NOT EXISTS evidence_files (
    sha256      text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    content     bytea NOT NULL,
    size        bigint NOT NULL,
    media_type  text NOT NULL,
    stored_at   timestamptz NOT NULL DEFAULT now()
);

-- Who uploaded which content, under what name: the same content uploaded by two people is
-- stored once and listed twice (each may then attach it).
CREATE TABLE IF NOT EXISTS evidence_uploads (
    sha256       text NOT NULL REFERENCES evidence_files (sha256),
    uploaded_by  text NOT NULL,
    agency_id    uuid,
    file_name    text NOT NULL,
    uploaded_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (sha256, uploaded_by)
);

-- Read model: which item's events reference which file (rebuilt from the log).
CREATE TABLE IF NOT EXISTS file_references (
    sha256    text NOT NULL,
    item_id   uuid NOT NULL,
    kind      text NOT NULL,
    position  bigint NOT NULL,
    PRIMARY KEY (sha256, item_id)
);

-- +goose Up
-- The PostgreSQL schema's queue of unnumbered events (issue 13). SQLite has
-- one writer, numbers events inside the writing transaction and never fills
-- it; it exists so both schemas have the same tables.
CREATE TABLE pending_events (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id         TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    type            TEXT NOT NULL,
    conversation_id TEXT NOT NULL DEFAULT '',
    visitor_id      TEXT NOT NULL DEFAULT '',
    internal        BOOLEAN NOT NULL DEFAULT 0,
    data            TEXT NOT NULL,
    public_data     TEXT NOT NULL DEFAULT '',
    created_at      DATETIME NOT NULL,
    queued_at       DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX pending_events_site_idx ON pending_events (site_id, id);

-- +goose Down
DROP TABLE pending_events;

-- +goose Up
-- Events wait here, unnumbered, until the sequencer numbers them after
-- their transaction committed (issue 13): writers no longer take the site
-- row's lock through their commit to advance sites.event_seq. The
-- sequencer moves them into events in id order within one pass, under that
-- lock, so readers of events still see each site's seqs gap-free and in the
-- order they became visible.
CREATE TABLE pending_events (
    id              BIGSERIAL PRIMARY KEY,
    site_id         TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    type            TEXT NOT NULL,
    conversation_id TEXT NOT NULL DEFAULT '',
    visitor_id      TEXT NOT NULL DEFAULT '',
    internal        BOOLEAN NOT NULL DEFAULT FALSE,
    data            TEXT NOT NULL,
    public_data     TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL,
    -- the database's clock when queued: how long an event waits to be
    -- numbered, whatever clock the application uses
    queued_at       TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX pending_events_site_idx ON pending_events (site_id, id);

-- +goose Down
DROP TABLE pending_events;

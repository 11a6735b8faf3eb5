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

-- One sequencer pass for a site, in one round trip: lock the site row (NO
-- KEY UPDATE: writers' foreign-key checks take KEY SHARE and pass by),
-- then move what is pending into events. VOLATILE, so each statement takes
-- a fresh snapshot: the move sees everything a pass before this one
-- committed. Returns the site's position and how many it numbered (moved
-- 0: nothing was pending, and then no lock is taken).
-- +goose StatementBegin
CREATE FUNCTION holler_number_events(p_site TEXT, p_limit INT, OUT seq BIGINT, OUT moved BIGINT)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    n BIGINT;
BEGIN
    moved := 0;
    IF NOT EXISTS (SELECT 1 FROM pending_events WHERE site_id = p_site) THEN
        RETURN;
    END IF;
    SELECT event_seq INTO seq FROM sites WHERE id = p_site FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RETURN; -- the site is gone, and its pending rows with it
    END IF;
    LOOP
        WITH taken AS (
            DELETE FROM pending_events WHERE id IN (
                SELECT id FROM pending_events WHERE site_id = p_site ORDER BY id LIMIT p_limit)
            RETURNING *
        ), numbered AS (
            INSERT INTO events (site_id, seq, type, conversation_id, visitor_id, internal, data, public_data, created_at)
            SELECT t.site_id, seq + moved + row_number() OVER (ORDER BY t.id), t.type, t.conversation_id,
                   t.visitor_id, t.internal, t.data, t.public_data, t.created_at
            FROM taken t
            RETURNING 1
        )
        SELECT count(*) INTO n FROM numbered;
        moved := moved + n;
        EXIT WHEN n < p_limit;
    END LOOP;
    seq := seq + moved;
    IF moved > 0 THEN
        UPDATE sites SET event_seq = seq WHERE id = p_site;
    END IF;
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION holler_number_events(TEXT, INT);
DROP TABLE pending_events;

-- +goose Up
-- SLAs (issue 12): a site's targets per kind, counted in its opening hours,
-- and each conversation's due times, state and the notices already sent.
CREATE TABLE sla_policies (
    site_id            TEXT PRIMARY KEY REFERENCES sites (id) ON DELETE CASCADE,
    targets            TEXT NOT NULL DEFAULT '{}',
    pause_when_pending BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at         TIMESTAMPTZ NOT NULL
);

ALTER TABLE conversations ADD COLUMN sla_first_response_due TIMESTAMPTZ;
ALTER TABLE conversations ADD COLUMN sla_first_response_warn TIMESTAMPTZ;
ALTER TABLE conversations ADD COLUMN sla_resolution_due TIMESTAMPTZ;
ALTER TABLE conversations ADD COLUMN sla_resolution_warn TIMESTAMPTZ;
ALTER TABLE conversations ADD COLUMN sla_resolved_at TIMESTAMPTZ;
ALTER TABLE conversations ADD COLUMN sla_paused_at TIMESTAMPTZ;
ALTER TABLE conversations ADD COLUMN sla_state TEXT NOT NULL DEFAULT 'none';
ALTER TABLE conversations ADD COLUMN sla_due_at TIMESTAMPTZ;
ALTER TABLE conversations ADD COLUMN sla_notified INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN sla_next_at TIMESTAMPTZ;
-- The scheduler's claim: the rows whose next notice is due.
CREATE INDEX conversations_sla_next_idx ON conversations (sla_next_at) WHERE sla_next_at IS NOT NULL;
-- sort=due: nearest due time first.
CREATE INDEX conversations_sla_due_idx ON conversations (site_id, sla_due_at, id);

-- +goose Down
DROP INDEX conversations_sla_due_idx;
DROP INDEX conversations_sla_next_idx;
ALTER TABLE conversations DROP COLUMN sla_next_at;
ALTER TABLE conversations DROP COLUMN sla_notified;
ALTER TABLE conversations DROP COLUMN sla_due_at;
ALTER TABLE conversations DROP COLUMN sla_state;
ALTER TABLE conversations DROP COLUMN sla_paused_at;
ALTER TABLE conversations DROP COLUMN sla_resolved_at;
ALTER TABLE conversations DROP COLUMN sla_resolution_warn;
ALTER TABLE conversations DROP COLUMN sla_resolution_due;
ALTER TABLE conversations DROP COLUMN sla_first_response_warn;
ALTER TABLE conversations DROP COLUMN sla_first_response_due;
DROP TABLE sla_policies;

-- +goose Up
-- Issue 11: outbound mail. Every mail is a row written in the transaction of
-- the change that causes it; a worker claims due rows (FOR UPDATE SKIP LOCKED
-- on PostgreSQL) under a lease, so a crashed instance's claim runs out.
CREATE TABLE mail_outbox (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    site_id         TEXT NOT NULL DEFAULT '',
    conversation_id TEXT NOT NULL DEFAULT '',
    user_id         TEXT NOT NULL DEFAULT '',
    recipient       TEXT NOT NULL,
    -- rows of one group still waiting for send_after gather items
    group_key       TEXT NOT NULL DEFAULT '',
    items           TEXT NOT NULL DEFAULT '[]',
    status          TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed', 'skipped')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    send_after      DATETIME NOT NULL,
    claimed_until   DATETIME,
    claim_id        TEXT NOT NULL DEFAULT '',
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      DATETIME NOT NULL,
    sent_at         DATETIME
);
CREATE INDEX mail_outbox_due_idx ON mail_outbox (send_after) WHERE status = 'queued';
CREATE INDEX mail_outbox_group_idx ON mail_outbox (group_key) WHERE status = 'queued';
CREATE INDEX mail_outbox_done_idx ON mail_outbox (created_at) WHERE status <> 'queued';

ALTER TABLE sites ADD COLUMN reply_email_delay_seconds INTEGER NOT NULL DEFAULT 120;
ALTER TABLE conversations ADD COLUMN visitor_seen_at DATETIME;
ALTER TABLE users ADD COLUMN notify_new_conversations TEXT NOT NULL DEFAULT 'each';
ALTER TABLE users ADD COLUMN notify_digest_minutes INTEGER NOT NULL DEFAULT 60;
ALTER TABLE users ADD COLUMN notify_assigned_replies BOOLEAN NOT NULL DEFAULT 1;

-- +goose Down
ALTER TABLE users DROP COLUMN notify_assigned_replies;
ALTER TABLE users DROP COLUMN notify_digest_minutes;
ALTER TABLE users DROP COLUMN notify_new_conversations;
ALTER TABLE conversations DROP COLUMN visitor_seen_at;
ALTER TABLE sites DROP COLUMN reply_email_delay_seconds;
DROP TABLE mail_outbox;

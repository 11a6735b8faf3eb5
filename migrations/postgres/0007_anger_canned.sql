-- +goose Up
-- Angry customers first (issue 12): each customer message's anger score
-- (NULL for staff messages and for messages stored before scoring existed)
-- and the highest score of a conversation's customer messages. Existing
-- conversations start at 0: the score needs the Go lexicon, which SQL
-- cannot run. The server scores the old customer messages in the
-- background after start (app's angerBackfill), finding them through the
-- partial index, which is empty once that is done.
ALTER TABLE messages ADD COLUMN anger DOUBLE PRECISION;
ALTER TABLE conversations ADD COLUMN anger DOUBLE PRECISION NOT NULL DEFAULT 0;
CREATE INDEX conversations_site_anger_idx ON conversations (site_id, anger DESC, last_message_at DESC, id DESC);
CREATE INDEX messages_unscored_idx ON messages (conversation_id) WHERE anger IS NULL AND author_kind = 'visitor';

-- Canned replies: per site, or shared by every site (site_id NULL). A
-- shortcut is unique within its scope; the list sorts by use_count.
CREATE TABLE canned_replies (
    id         TEXT PRIMARY KEY,
    site_id    TEXT REFERENCES sites (id) ON DELETE CASCADE,
    shortcut   TEXT NOT NULL,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,
    use_count  BIGINT NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX canned_replies_shortcut_idx ON canned_replies (COALESCE(site_id, ''), shortcut);
CREATE INDEX canned_replies_site_idx ON canned_replies (site_id);

-- +goose Down
DROP TABLE canned_replies;
DROP INDEX messages_unscored_idx;
DROP INDEX conversations_site_anger_idx;
ALTER TABLE conversations DROP COLUMN anger;
ALTER TABLE messages DROP COLUMN anger;

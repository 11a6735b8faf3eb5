-- +goose Up
-- Availability (issue 11): a site's zone, weekly hours and holidays; the
-- sites an admin answers; when each conversation got its first staff reply.
ALTER TABLE sites ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';
ALTER TABLE sites ADD COLUMN hours TEXT NOT NULL DEFAULT '[]';
ALTER TABLE sites ADD COLUMN holidays TEXT NOT NULL DEFAULT '[]';

-- Admins choose the sites they answer (agents answer their memberships).
CREATE TABLE answerers (
    site_id    TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at DATETIME NOT NULL,
    PRIMARY KEY (site_id, user_id)
);
CREATE INDEX answerers_user_idx ON answerers (user_id);
-- Until now every admin's open dashboard counted for every site: keep that
-- on upgrade, so no widget goes offline by itself; admins narrow it later.
INSERT INTO answerers (site_id, user_id, created_at)
    SELECT s.id, u.id, u.created_at FROM sites s, users u WHERE u.role = 'admin';

ALTER TABLE conversations ADD COLUMN first_response_at DATETIME;
UPDATE conversations SET first_response_at = (
    SELECT MIN(m.created_at) FROM messages m
    WHERE m.conversation_id = conversations.id AND m.author_kind = 'staff' AND m.internal = 0)
WHERE staff_replied = 1;
CREATE INDEX conversations_first_response_idx ON conversations (site_id, first_response_at);

-- +goose Down
DROP INDEX conversations_first_response_idx;
ALTER TABLE conversations DROP COLUMN first_response_at;
DROP TABLE answerers;
ALTER TABLE sites DROP COLUMN holidays;
ALTER TABLE sites DROP COLUMN hours;
ALTER TABLE sites DROP COLUMN time_zone;

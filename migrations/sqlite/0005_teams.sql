-- +goose Up
-- Teams and routing (issue 12): teams of staff, per-site routing rules that
-- send a new conversation to a team, the team a conversation belongs to, and
-- each agent's capacity of open conversations (0: unlimited).
CREATE TABLE teams (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);
CREATE UNIQUE INDEX teams_name_idx ON teams (LOWER(name));

-- last_assigned_at is the round-robin state: the member assigned longest
-- ago (never first) is next. It lives here so every instance and every
-- restart share it.
CREATE TABLE team_members (
    team_id          TEXT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id          TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    last_assigned_at DATETIME,
    created_at       DATETIME NOT NULL,
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user_idx ON team_members (user_id);

-- A team that a rule names cannot be deleted (no ON DELETE): the rule
-- would route to nowhere.
CREATE TABLE routing_rules (
    site_id       TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    position      INTEGER NOT NULL,
    kinds         TEXT NOT NULL DEFAULT '[]',
    page_glob     TEXT NOT NULL DEFAULT '',
    languages     TEXT NOT NULL DEFAULT '[]',
    email_domains TEXT NOT NULL DEFAULT '[]',
    team_id       TEXT NOT NULL REFERENCES teams (id),
    PRIMARY KEY (site_id, position)
);
CREATE INDEX routing_rules_team_idx ON routing_rules (team_id);

ALTER TABLE conversations ADD COLUMN team_id TEXT REFERENCES teams (id) ON DELETE SET NULL;
-- The team queues: unassigned, unresolved conversations of a team, oldest first.
CREATE INDEX conversations_team_queue_idx ON conversations (team_id, created_at)
    WHERE assignee_id IS NULL AND status <> 'resolved';
CREATE INDEX conversations_team_idx ON conversations (team_id, last_message_at DESC, id DESC);
-- An agent's open conversations, counted against their capacity.
CREATE INDEX conversations_assignee_idx ON conversations (assignee_id, status);

ALTER TABLE users ADD COLUMN capacity INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE users DROP COLUMN capacity;
DROP INDEX conversations_assignee_idx;
DROP INDEX conversations_team_idx;
DROP INDEX conversations_team_queue_idx;
ALTER TABLE conversations DROP COLUMN team_id;
DROP TABLE routing_rules;
DROP TABLE team_members;
DROP TABLE teams;

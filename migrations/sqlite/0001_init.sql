-- +goose Up
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE sites (
    id              TEXT PRIMARY KEY,
    key             TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    allowed_origins TEXT NOT NULL DEFAULT '[]',
    color           TEXT NOT NULL DEFAULT '#2563eb',
    position        TEXT NOT NULL DEFAULT 'right',
    greeting        TEXT NOT NULL DEFAULT '',
    button_label    TEXT NOT NULL DEFAULT '',
    kinds           TEXT NOT NULL DEFAULT '["question","complaint","feedback","praise"]',
    locale          TEXT NOT NULL DEFAULT '',
    -- event_seq is the last sequence number handed out in this site's event
    -- log; it is advanced under this row's lock so commits are in seq order.
    event_seq       INTEGER NOT NULL DEFAULT 0,
    created_at      DATETIME NOT NULL,
    updated_at      DATETIME NOT NULL
);

CREATE TABLE users (
    id              TEXT PRIMARY KEY,
    email           TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL DEFAULT '',
    password_hash   TEXT NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('admin', 'agent')),
    disabled        BOOLEAN NOT NULL DEFAULT 0,
    session_version INTEGER NOT NULL DEFAULT 1,
    created_at      DATETIME NOT NULL,
    updated_at      DATETIME NOT NULL
);

CREATE TABLE memberships (
    site_id    TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at DATETIME NOT NULL,
    PRIMARY KEY (site_id, user_id)
);
CREATE INDEX memberships_user_idx ON memberships (user_id);

CREATE TABLE visitors (
    id           TEXT PRIMARY KEY,
    site_id      TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    email        TEXT NOT NULL DEFAULT '',
    name         TEXT NOT NULL DEFAULT '',
    created_at   DATETIME NOT NULL,
    last_seen_at DATETIME NOT NULL
);
CREATE INDEX visitors_site_idx ON visitors (site_id);

CREATE TABLE conversations (
    id              TEXT PRIMARY KEY,
    site_id         TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    visitor_id      TEXT NOT NULL REFERENCES visitors (id) ON DELETE CASCADE,
    ref             TEXT NOT NULL,
    kind            TEXT NOT NULL,
    status          TEXT NOT NULL,
    assignee_id     TEXT REFERENCES users (id) ON DELETE SET NULL,
    tags            TEXT NOT NULL DEFAULT '[]',
    page_url        TEXT NOT NULL DEFAULT '',
    user_agent      TEXT NOT NULL DEFAULT '',
    email           TEXT NOT NULL DEFAULT '',
    name            TEXT NOT NULL DEFAULT '',
    preview         TEXT NOT NULL DEFAULT '',
    rating_score    INTEGER,
    rating_comment  TEXT NOT NULL DEFAULT '',
    staff_replied   BOOLEAN NOT NULL DEFAULT 0,
    created_at      DATETIME NOT NULL,
    updated_at      DATETIME NOT NULL,
    last_message_at DATETIME NOT NULL,
    UNIQUE (site_id, ref)
);
CREATE INDEX conversations_site_last_idx ON conversations (site_id, last_message_at, id);
CREATE INDEX conversations_visitor_idx ON conversations (visitor_id, last_message_at);

CREATE TABLE messages (
    id              TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    site_id         TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    author_kind     TEXT NOT NULL,
    author_id       TEXT NOT NULL DEFAULT '',
    author_name     TEXT NOT NULL DEFAULT '',
    body            TEXT NOT NULL,
    internal        BOOLEAN NOT NULL DEFAULT 0,
    created_at      DATETIME NOT NULL
);
CREATE INDEX messages_conversation_idx ON messages (conversation_id, created_at, id);

CREATE TABLE refresh_tokens (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    family_id  TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    expires_at DATETIME NOT NULL,
    used_at    DATETIME,
    revoked_at DATETIME,
    created_at DATETIME NOT NULL
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);

CREATE TABLE idempotency_keys (
    site_id      TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status_code  INTEGER NOT NULL DEFAULT 0,
    response     TEXT NOT NULL DEFAULT '',
    created_at   DATETIME NOT NULL,
    expires_at   DATETIME NOT NULL,
    PRIMARY KEY (site_id, key)
);
CREATE INDEX idempotency_keys_expires_idx ON idempotency_keys (expires_at);

CREATE TABLE events (
    site_id         TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    seq             INTEGER NOT NULL,
    type            TEXT NOT NULL,
    conversation_id TEXT NOT NULL DEFAULT '',
    visitor_id      TEXT NOT NULL DEFAULT '',
    internal        BOOLEAN NOT NULL DEFAULT 0,
    data            TEXT NOT NULL,
    -- what a visitor's socket receives: no staff-only fields; '' for internal events
    public_data     TEXT NOT NULL DEFAULT '',
    created_at      DATETIME NOT NULL,
    PRIMARY KEY (site_id, seq)
);
CREATE INDEX events_visitor_idx ON events (site_id, visitor_id, seq);

-- +goose Down
DROP TABLE events;
DROP TABLE idempotency_keys;
DROP TABLE refresh_tokens;
DROP TABLE messages;
DROP TABLE conversations;
DROP TABLE visitors;
DROP TABLE memberships;
DROP TABLE users;
DROP TABLE sites;
DROP TABLE settings;

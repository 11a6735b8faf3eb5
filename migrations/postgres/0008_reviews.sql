-- +goose Up
-- Review invitations (issue 12): where a site's public reviews live, and
-- what each rating led to (an invitation, a thank-you or a reopening).
ALTER TABLE sites ADD COLUMN review_urls TEXT NOT NULL DEFAULT '[]';

CREATE TABLE rating_outcomes (
    id              TEXT PRIMARY KEY,
    site_id         TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    round           INTEGER NOT NULL,
    score           INTEGER NOT NULL,
    outcome         TEXT NOT NULL,
    turned_around   BOOLEAN NOT NULL DEFAULT FALSE,
    rated_at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX rating_outcomes_site_idx ON rating_outcomes (site_id, rated_at);
-- A conversation's rounds are numbered under its row lock: the latest is
-- the highest, whatever the clocks of the instances that wrote them.
CREATE UNIQUE INDEX rating_outcomes_round_idx ON rating_outcomes (conversation_id, round);

-- +goose Down
DROP TABLE rating_outcomes;
ALTER TABLE sites DROP COLUMN review_urls;

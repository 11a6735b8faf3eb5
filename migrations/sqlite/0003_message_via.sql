-- +goose Up
-- How a message reached Holler: '' for the widget and the dashboard,
-- 'email' for a customer's email reply (shown as a badge to staff).
ALTER TABLE messages ADD COLUMN via TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE messages DROP COLUMN via;

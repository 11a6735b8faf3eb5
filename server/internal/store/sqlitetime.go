package store

// sqliteTimeLayout is how times are written to SQLite (as TEXT: SQLite has no
// time type). Queries compare and sort these strings (expiry checks, inbox
// cursors), so the layout must order as text the way the times order: with
// UTC times and "+00:00" after the fraction it does, because "+" sorts below
// every digit. The driver's default, RFC 3339 with "Z", does not ("…:05.12Z"
// sorts after "…:05.123Z"). It is also the layout the previous driver
// (glebarez/sqlite) wrote, so databases it filled read and sort unchanged.
const sqliteTimeLayout = "2006-01-02 15:04:05.999999999-07:00"

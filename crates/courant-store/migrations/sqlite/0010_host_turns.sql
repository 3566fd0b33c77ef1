-- Per-host politeness that every worker shares: when a host may be polled
-- next. A source is claimed together with its host's turn.
CREATE TABLE host_turns (
    host TEXT PRIMARY KEY,
    next_at TEXT NOT NULL
);

-- An item whose title, summary or content changes under the same id is
-- processed again: when that last happened, and how many times.
ALTER TABLE articles ADD COLUMN revised_at TEXT;
ALTER TABLE articles ADD COLUMN revisions INTEGER NOT NULL DEFAULT 0;

ALTER TABLE articles ADD COLUMN story_id INTEGER;
ALTER TABLE articles ADD COLUMN duplicate_of INTEGER;
ALTER TABLE articles ADD COLUMN cluster_seq INTEGER;
ALTER TABLE articles ADD COLUMN central REAL;
CREATE INDEX articles_story ON articles (story_id, published_at);
CREATE UNIQUE INDEX articles_cluster_seq ON articles (cluster_seq);
CREATE INDEX articles_unclustered ON articles (published_at, id)
    WHERE status = 'ready' AND cluster_seq IS NULL;
CREATE TABLE stories (
    id INTEGER PRIMARY KEY,
    merged_into INTEGER,
    lead_article INTEGER,
    title TEXT NOT NULL DEFAULT '',
    summary TEXT NOT NULL DEFAULT '',
    lang TEXT,
    first_at TEXT,
    last_at TEXT,
    articles INTEGER NOT NULL DEFAULT 0,
    sources INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL
);
CREATE INDEX stories_recent ON stories (merged_into, last_at DESC);
CREATE TABLE story_links (
    story INTEGER NOT NULL,
    other INTEGER NOT NULL,
    score REAL NOT NULL,
    PRIMARY KEY (story, other)
);
CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until TEXT NOT NULL
);

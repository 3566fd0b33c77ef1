CREATE TABLE sources (
    id INTEGER PRIMARY KEY,
    feed_url TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    site_url TEXT,
    lang TEXT,
    attribution TEXT,
    created_at TEXT NOT NULL,
    last_fetch_at TEXT,
    last_ok_at TEXT,
    last_error TEXT,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    next_poll_at TEXT,
    etag TEXT,
    last_modified TEXT
);
CREATE TABLE articles (
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    guid TEXT NOT NULL,
    url TEXT,
    status TEXT NOT NULL,
    discovered_at TEXT NOT NULL,
    entry_json TEXT NOT NULL,
    processed_json TEXT,
    error TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    not_before TEXT,
    published_at TEXT,
    lang TEXT,
    UNIQUE (source_id, guid)
);
CREATE INDEX articles_work ON articles (status, not_before);
CREATE INDEX articles_published ON articles (status, published_at DESC);
CREATE INDEX articles_source ON articles (source_id, status, published_at DESC);
CREATE INDEX articles_lang ON articles (lang, status, published_at DESC);

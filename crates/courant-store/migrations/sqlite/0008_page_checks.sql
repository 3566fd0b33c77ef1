-- A processed page, as it looked then: its validators and a hash of its
-- extracted text, and when to look at it again (NULL: never). A page that
-- changes while its feed item does not is processed again.
CREATE TABLE page_checks (
    article_id INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
    etag TEXT,
    last_modified TEXT,
    text_hash TEXT NOT NULL,
    next_check TEXT
);
CREATE INDEX page_checks_due ON page_checks(next_check) WHERE next_check IS NOT NULL;

-- Multilingual embeddings of articles (title and lead), little-endian f32.
CREATE TABLE article_vectors (
  article_id INTEGER PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
  model      TEXT NOT NULL,
  vector     BLOB NOT NULL
);
-- The event a story belongs to across languages: the id of its oldest
-- story (NULL: linked to none).
ALTER TABLE stories ADD COLUMN event_id INTEGER;
CREATE INDEX stories_event ON stories (event_id) WHERE event_id IS NOT NULL;

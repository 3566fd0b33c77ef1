-- Machine translations, one per article and target language; the article
-- row is never touched by them.
CREATE TABLE translations (
  article_id   INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
  lang         TEXT NOT NULL,
  from_lang    TEXT NOT NULL,
  provider     TEXT NOT NULL,
  label        TEXT NOT NULL,
  status       TEXT NOT NULL,
  title        TEXT NOT NULL DEFAULT '',
  html         TEXT NOT NULL DEFAULT '',
  text         TEXT NOT NULL DEFAULT '',
  engine_text  TEXT NOT NULL DEFAULT '',
  reasons      TEXT NOT NULL DEFAULT '[]',
  findings     TEXT NOT NULL DEFAULT '[]',
  error        TEXT,
  attempts     INTEGER NOT NULL DEFAULT 0,
  next_attempt TEXT,
  updated_at   TEXT NOT NULL,
  PRIMARY KEY (article_id, lang)
);
CREATE INDEX translations_edition ON translations (lang, status, updated_at);

-- Translated segments by provider, language pair and a hash of the segment.
CREATE TABLE translation_memory (
  provider   TEXT NOT NULL,
  from_lang  TEXT NOT NULL,
  to_lang    TEXT NOT NULL,
  key        TEXT NOT NULL,
  text       TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (provider, from_lang, to_lang, key)
) WITHOUT ROWID;

-- Characters sent per provider per UTC day: the budget's ledger.
CREATE TABLE translation_usage (
  provider TEXT NOT NULL,
  day      TEXT NOT NULL,
  chars    INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (provider, day)
) WITHOUT ROWID;

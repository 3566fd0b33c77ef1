-- Front pages at 100,000 articles: the groups query reads this index
-- alone; copies of a text are found without a scan.
CREATE INDEX articles_groups ON articles (status, source_id, lang, published_at);
CREATE INDEX articles_duplicate ON articles (duplicate_of) WHERE duplicate_of IS NOT NULL;

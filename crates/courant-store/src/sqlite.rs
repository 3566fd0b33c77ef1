//! The embedded SQLite backend.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use courant_model::{
    Article, ArticleId, ArticleStatus, FeedEntry, NewSource, ProcessedArticle, Source,
    SourceHealth, SourceId, Story, StoryId,
};
use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::{
    ArticleOutcome, ArticleQuery, Counts, Error, Group, Placed, PollRecord, PollResult, Result,
    Store, StoryBatch, StoryQuery,
};

/// Schema versions, applied in order; `PRAGMA user_version` records the last applied.
const MIGRATIONS: &[&str] = &[
    r#"
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
"#,
    r#"
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
"#,
    // The database's identity: caches (the search index) tell a recreated
    // database from the one they follow.
    r#"
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
INSERT INTO meta (key, value) VALUES ('instance', lower(hex(randomblob(16))));
"#,
    // Front pages at 100,000 articles: the groups query reads this index
    // alone; copies of a text are found without a scan.
    r#"
CREATE INDEX articles_groups ON articles (status, source_id, lang, published_at);
CREATE INDEX articles_duplicate ON articles (duplicate_of) WHERE duplicate_of IS NOT NULL;
"#,
];

const READERS: usize = 4;

/// SQLite in WAL mode: one writer connection and a few reader connections.
#[derive(Debug)]
pub struct SqliteStore {
    writer: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
}

/// Fixed-width UTC timestamps sort correctly as text.
fn ts(d: DateTime<Utc>) -> String {
    d.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn parse_ts(s: Option<String>) -> Option<DateTime<Utc>> {
    s.and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
        .map(|d| d.with_timezone(&Utc))
}

fn open_conn(path: &Path) -> rusqlite::Result<Connection> {
    let c = Connection::open(path)?;
    c.busy_timeout(Duration::from_secs(10))?;
    c.pragma_update(None, "journal_mode", "WAL")?;
    c.pragma_update(None, "synchronous", "NORMAL")?;
    c.pragma_update(None, "foreign_keys", "ON")?;
    Ok(c)
}

fn lock(m: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    // A panic while holding the lock leaves SQLite consistent (transactions roll back).
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl SqliteStore {
    /// Opens (creating if needed) and migrates the database at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let fail = |reason: String| Error::Open {
            path: path.display().to_string(),
            reason,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| fail(e.to_string()))?;
        }
        let mut writer = open_conn(path).map_err(|e| fail(e.to_string()))?;
        migrate(&mut writer).map_err(|e| fail(format!("migration failed: {e}")))?;
        let readers = (0..READERS)
            .map(|_| open_conn(path).map(Mutex::new))
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| fail(e.to_string()))?;
        Ok(SqliteStore {
            writer: Mutex::new(writer),
            readers,
            next_reader: AtomicUsize::new(0),
        })
    }

    /// A free reader if there is one (a long read never holds up short ones
    /// that could use another connection), else the next in turn.
    fn read(&self) -> MutexGuard<'_, Connection> {
        let n = self.readers.len();
        let start = self.next_reader.fetch_add(1, Ordering::Relaxed) % n;
        for k in 0..n {
            if let Ok(guard) = self.readers[(start + k) % n].try_lock() {
                return guard;
            }
        }
        lock(&self.readers[start])
    }

    fn write(&self) -> MutexGuard<'_, Connection> {
        lock(&self.writer)
    }

    /// The newest `limit` ready articles of a story, oldest first.
    fn newest_of_story(&self, cols: &str, id: StoryId, limit: usize) -> Result<Vec<Article>> {
        let c = self.read();
        let mut st = c.prepare_cached(&format!(
            "SELECT {cols} FROM articles WHERE story_id = ?1 AND status = 'ready'
             ORDER BY published_at DESC, id DESC LIMIT ?2"
        ))?;
        let rows = st
            .query_map(params![id, limit.clamp(1, 5_000) as i64], article_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        drop(st);
        drop(c);
        let mut out = collect_articles(rows)?;
        out.reverse();
        Ok(out)
    }
}

fn migrate(c: &mut Connection) -> rusqlite::Result<()> {
    let version: usize =
        c.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))? as usize;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
        let tx = c.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}

const SOURCE_COLS: &str =
    "s.id, s.feed_url, s.name, s.site_url, s.lang, s.attribution, s.last_fetch_at, s.last_ok_at, \
     s.last_error, s.consecutive_failures, s.next_poll_at, s.etag, s.last_modified, \
     (SELECT COUNT(*) FROM articles a WHERE a.source_id = s.id AND a.status = 'ready')";

fn source_row(r: &Row<'_>) -> rusqlite::Result<Source> {
    Ok(Source {
        id: r.get(0)?,
        feed_url: r.get(1)?,
        name: r.get(2)?,
        site_url: r.get(3)?,
        lang: r.get(4)?,
        attribution: r.get(5)?,
        health: SourceHealth {
            last_fetch_at: parse_ts(r.get(6)?),
            last_ok_at: parse_ts(r.get(7)?),
            last_error: r.get(8)?,
            consecutive_failures: r.get(9)?,
            next_poll_at: parse_ts(r.get(10)?),
            etag: r.get(11)?,
            last_modified: r.get(12)?,
        },
        article_count: r.get(13)?,
    })
}

const ARTICLE_COLS: &str = "id, source_id, guid, url, status, discovered_at, entry_json, \
     processed_json, error, attempts, story_id, duplicate_of";

/// The same columns for lists: the entry and the processed article carry only
/// what a list shows (title, language, dates), picked out by SQLite, so a
/// page of summaries never decodes full texts.
const ARTICLE_COLS_BRIEF: &str = "id, source_id, guid, url, status, discovered_at, \
     json_object('guid', guid, 'url', url, \
       'title', COALESCE(json_extract(entry_json, '$.title'), ''), \
       'published', json_extract(entry_json, '$.published'), \
       'updated', json_extract(entry_json, '$.updated'), \
       'lang', json_extract(entry_json, '$.lang')), \
     CASE WHEN processed_json IS NULL THEN NULL ELSE json_object( \
       'title', COALESCE(json_extract(processed_json, '$.title'), ''), \
       'published', json_extract(processed_json, '$.published'), \
       'lang', json_extract(processed_json, '$.lang')) END, \
     error, attempts, story_id, duplicate_of";

/// Raw row; JSON is decoded outside the rusqlite closure so errors keep their meaning.
struct ArticleRow {
    id: i64,
    source_id: i64,
    guid: String,
    url: Option<String>,
    status: String,
    discovered_at: Option<String>,
    entry_json: String,
    processed_json: Option<String>,
    error: Option<String>,
    attempts: i64,
    story: Option<i64>,
    duplicate_of: Option<i64>,
}

fn article_row(r: &Row<'_>) -> rusqlite::Result<ArticleRow> {
    Ok(ArticleRow {
        id: r.get(0)?,
        source_id: r.get(1)?,
        guid: r.get(2)?,
        url: r.get(3)?,
        status: r.get(4)?,
        discovered_at: r.get(5)?,
        entry_json: r.get(6)?,
        processed_json: r.get(7)?,
        error: r.get(8)?,
        attempts: r.get(9)?,
        story: r.get(10)?,
        duplicate_of: r.get(11)?,
    })
}

impl ArticleRow {
    fn decode(self) -> Result<Article> {
        let corrupt = |what: &str, e: &dyn std::fmt::Display| {
            Error::Corrupt(format!("article {}: {what}: {e}", self.id))
        };
        let entry: FeedEntry =
            serde_json::from_str(&self.entry_json).map_err(|e| corrupt("entry", &e))?;
        let processed: Option<ProcessedArticle> = match &self.processed_json {
            Some(j) => Some(serde_json::from_str(j).map_err(|e| corrupt("processed", &e))?),
            None => None,
        };
        let status =
            ArticleStatus::parse(&self.status).ok_or_else(|| corrupt("status", &self.status))?;
        Ok(Article {
            id: self.id,
            source_id: self.source_id,
            guid: self.guid,
            url: self.url,
            status,
            discovered_at: parse_ts(self.discovered_at).unwrap_or_default(),
            entry,
            processed,
            error: self.error,
            attempts: self.attempts,
            story: self.story,
            duplicate_of: self.duplicate_of,
        })
    }
}

const STORY_COLS: &str = "id, merged_into, title, summary, lang, lead_article, first_at, last_at, \
     articles, sources, updated_at";

fn story_row(r: &Row<'_>) -> rusqlite::Result<Story> {
    Ok(Story {
        id: r.get(0)?,
        merged_into: r.get(1)?,
        title: r.get(2)?,
        summary: r.get(3)?,
        lang: r.get(4)?,
        lead_article: r.get(5)?,
        first_at: parse_ts(r.get(6)?),
        last_at: parse_ts(r.get(7)?),
        articles: r.get(8)?,
        sources: r.get(9)?,
    })
}

/// Sums a story again from its ready members: counts, time span, and the most
/// central original as its lead, whose title and first sentence name it.
fn refresh_story(tx: &rusqlite::Transaction<'_>, id: i64, now: DateTime<Utc>) -> Result<()> {
    let (articles, sources, first, last): (i64, i64, Option<String>, Option<String>) = tx
        .query_row(
            "SELECT COUNT(*), COUNT(DISTINCT source_id), MIN(published_at), MAX(published_at)
             FROM articles WHERE story_id = ?1 AND status = 'ready'",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )?;
    let lead: Option<(i64, Option<String>, String)> = tx
        .query_row(
            "SELECT id, lang, processed_json FROM articles
             WHERE story_id = ?1 AND status = 'ready' AND processed_json IS NOT NULL
             ORDER BY duplicate_of IS NOT NULL, central DESC, published_at, id LIMIT 1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let (lead_id, lang, title, summary) = match lead {
        Some((aid, lang, json)) => {
            let p: ProcessedArticle = serde_json::from_str(&json)
                .map_err(|e| Error::Corrupt(format!("article {aid}: processed: {e}")))?;
            (Some(aid), lang, p.title, first_sentence(&p.text))
        }
        None => (None, None, String::new(), String::new()),
    };
    tx.execute(
        "UPDATE stories SET lead_article = ?2, title = ?3, summary = ?4, lang = ?5, first_at = ?6,
           last_at = ?7, articles = ?8, sources = ?9, updated_at = ?10 WHERE id = ?1",
        params![
            id,
            lead_id,
            title,
            summary,
            lang,
            first,
            last,
            articles,
            sources,
            ts(now)
        ],
    )?;
    Ok(())
}

/// The first sentence of a text, at most about 300 characters.
fn first_sentence(text: &str) -> String {
    let para = text
        .split("\n\n")
        .map(str::trim)
        .find(|p| !p.is_empty())
        .unwrap_or("");
    let mut end = para.len();
    for (i, c) in para.char_indices() {
        if matches!(c, '.' | '!' | '?' | '。') && i >= 40 {
            let next = para[i + c.len_utf8()..].chars().next();
            if next.is_none_or(char::is_whitespace) {
                end = i + c.len_utf8();
                break;
            }
        }
    }
    let s = &para[..end];
    if s.chars().count() <= 300 {
        return s.to_string();
    }
    let cut: String = s.chars().take(300).collect();
    match cut.rfind(' ') {
        Some(i) => format!("{}…", &cut[..i]),
        None => format!("{cut}…"),
    }
}

fn collect_articles(rows: Vec<ArticleRow>) -> Result<Vec<Article>> {
    rows.into_iter().map(ArticleRow::decode).collect()
}

fn json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| Error::Corrupt(e.to_string()))
}

impl Store for SqliteStore {
    fn add_source(&self, s: &NewSource) -> Result<Source> {
        let c = self.write();
        c.execute(
            "INSERT INTO sources (feed_url, name, lang, attribution, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (feed_url) DO UPDATE SET
               name = CASE WHEN excluded.name <> '' THEN excluded.name ELSE sources.name END,
               lang = COALESCE(excluded.lang, sources.lang),
               attribution = COALESCE(excluded.attribution, sources.attribution)",
            params![s.feed_url, s.name, s.lang, s.attribution, ts(Utc::now())],
        )?;
        let src = c.query_row(
            &format!("SELECT {SOURCE_COLS} FROM sources s WHERE s.feed_url = ?1"),
            [&s.feed_url],
            source_row,
        )?;
        Ok(src)
    }

    fn remove_source(&self, id: SourceId) -> Result<bool> {
        let mut c = self.write();
        let tx = c.transaction()?;
        // Stories it contributed to are summed again without its articles.
        let touched: Vec<i64> = tx
            .prepare("SELECT DISTINCT story_id FROM articles WHERE source_id = ?1 AND story_id IS NOT NULL")?
            .query_map([id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let removed = tx.execute("DELETE FROM sources WHERE id = ?1", [id])? > 0;
        for story in touched {
            refresh_story(&tx, story, Utc::now())?;
        }
        tx.commit()?;
        Ok(removed)
    }

    fn sources(&self) -> Result<Vec<Source>> {
        let c = self.read();
        let mut st = c.prepare_cached(&format!(
            "SELECT {SOURCE_COLS} FROM sources s ORDER BY s.name, s.id"
        ))?;
        let rows = st
            .query_map([], source_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    fn source(&self, id: SourceId) -> Result<Option<Source>> {
        let c = self.read();
        Ok(c.query_row(
            &format!("SELECT {SOURCE_COLS} FROM sources s WHERE s.id = ?1"),
            [id],
            source_row,
        )
        .optional()?)
    }

    fn due_sources(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<Source>> {
        let c = self.read();
        let mut st = c.prepare_cached(&format!(
            "SELECT {SOURCE_COLS} FROM sources s WHERE s.next_poll_at IS NULL OR s.next_poll_at <= ?1
             ORDER BY s.next_poll_at IS NOT NULL, s.next_poll_at LIMIT ?2"
        ))?;
        let rows = st
            .query_map(params![ts(now), limit as i64], source_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    fn record_poll(&self, id: SourceId, rec: &PollRecord) -> Result<()> {
        let c = self.write();
        match &rec.result {
            PollResult::Ok {
                title,
                site_url,
                etag,
                last_modified,
                warning,
            } => {
                c.execute(
                    "UPDATE sources SET last_fetch_at = ?2, last_ok_at = ?2, last_error = ?3, consecutive_failures = 0,
                       next_poll_at = ?4,
                       etag = COALESCE(?5, etag), last_modified = COALESCE(?6, last_modified),
                       site_url = COALESCE(?7, site_url),
                       name = CASE WHEN name = '' THEN COALESCE(?8, feed_url) ELSE name END
                     WHERE id = ?1",
                    params![id, ts(rec.at), warning, ts(rec.next_poll_at), etag, last_modified, site_url, title],
                )?;
            }
            PollResult::Failed { error } => {
                c.execute(
                    "UPDATE sources SET last_fetch_at = ?2, last_error = ?3,
                       consecutive_failures = consecutive_failures + 1, next_poll_at = ?4,
                       name = CASE WHEN name = '' THEN feed_url ELSE name END
                     WHERE id = ?1",
                    params![id, ts(rec.at), error, ts(rec.next_poll_at)],
                )?;
            }
        }
        Ok(())
    }

    fn insert_entries(
        &self,
        source: SourceId,
        entries: &[FeedEntry],
        now: DateTime<Utc>,
    ) -> Result<usize> {
        let mut c = self.write();
        let tx = c.transaction()?;
        let mut new = 0;
        {
            let mut st = tx.prepare_cached(
                "INSERT INTO articles (source_id, guid, url, status, discovered_at, entry_json, published_at, lang)
                 VALUES (?1, ?2, ?3, 'pending', ?4, ?5, ?6, ?7)
                 ON CONFLICT (source_id, guid) DO NOTHING",
            )?;
            for e in entries {
                let published = e.published.or(e.updated).unwrap_or(now);
                new += st.execute(params![
                    source,
                    e.guid,
                    e.url,
                    ts(now),
                    json(e)?,
                    ts(published),
                    e.lang
                ])?;
            }
        }
        tx.commit()?;
        Ok(new)
    }

    fn claim_pending(
        &self,
        now: DateTime<Utc>,
        lease_secs: i64,
        limit: usize,
    ) -> Result<Vec<Article>> {
        let c = self.write();
        let until = ts(now + chrono::Duration::seconds(lease_secs));
        // One statement: claim and read back atomically, so two workers never share an article.
        let mut st = c.prepare_cached(&format!(
            "UPDATE articles SET not_before = ?1, attempts = attempts + 1
             WHERE id IN (SELECT id FROM articles WHERE status = 'pending' AND (not_before IS NULL OR not_before <= ?2)
                          ORDER BY published_at DESC LIMIT ?3)
             RETURNING {ARTICLE_COLS}"
        ))?;
        let rows = st
            .query_map(params![until, ts(now), limit as i64], article_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut claimed = collect_articles(rows)?;
        // RETURNING has no order; hand out the newest first, as selected.
        claimed.sort_by(|a, b| b.published().cmp(&a.published()).then(b.id.cmp(&a.id)));
        Ok(claimed)
    }

    fn finish_article(&self, id: ArticleId, outcome: &ArticleOutcome) -> Result<()> {
        let c = self.write();
        match outcome {
            ArticleOutcome::Ready(p) => {
                let published = p.published.map(ts);
                c.execute(
                    "UPDATE articles SET status = 'ready', processed_json = ?2, error = NULL, not_before = NULL,
                       published_at = COALESCE(?3, published_at), lang = ?4, url = COALESCE(url, ?5)
                     WHERE id = ?1",
                    params![id, json(p)?, published, p.lang, p.canonical_url],
                )?;
            }
            ArticleOutcome::Retry { error, not_before } => {
                c.execute(
                    "UPDATE articles SET error = ?2, not_before = ?3 WHERE id = ?1",
                    params![id, error, ts(*not_before)],
                )?;
            }
            ArticleOutcome::Failed { error } => {
                c.execute(
                    "UPDATE articles SET status = 'failed', error = ?2, not_before = NULL WHERE id = ?1",
                    params![id, error],
                )?;
            }
        }
        Ok(())
    }

    fn articles(&self, q: &ArticleQuery) -> Result<Vec<Article>> {
        let cols = if q.brief {
            ARTICLE_COLS_BRIEF
        } else {
            ARTICLE_COLS
        };
        let mut sql = format!("SELECT {cols} FROM articles WHERE 1 = 1");
        let mut args: Vec<rusqlite::types::Value> = Vec::new();
        if !q.include_pending {
            sql.push_str(" AND status = 'ready'");
        }
        if let Some(s) = q.source {
            args.push(s.into());
            sql.push_str(&format!(" AND source_id = ?{}", args.len()));
        }
        match q.lang.as_deref() {
            Some("und") => sql.push_str(" AND lang IS NULL"),
            Some(l) => {
                args.push(l.to_string().into());
                sql.push_str(&format!(" AND lang = ?{}", args.len()));
            }
            None => {}
        }
        let limit = q.limit.clamp(1, 500) as i64;
        sql.push_str(&format!(
            " ORDER BY published_at DESC, id DESC LIMIT {limit} OFFSET {}",
            q.offset as i64
        ));
        let c = self.read();
        let mut st = c.prepare_cached(&sql)?;
        let rows = st
            .query_map(rusqlite::params_from_iter(args), article_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        drop(st);
        drop(c);
        collect_articles(rows)
    }

    fn article(&self, id: ArticleId) -> Result<Option<Article>> {
        let c = self.read();
        let row = c
            .query_row(
                &format!("SELECT {ARTICLE_COLS} FROM articles WHERE id = ?1"),
                [id],
                article_row,
            )
            .optional()?;
        drop(c);
        row.map(ArticleRow::decode).transpose()
    }

    fn set_hidden(&self, id: ArticleId, hidden: bool) -> Result<bool> {
        let (from, to) = if hidden {
            ("ready", "hidden")
        } else {
            ("hidden", "ready")
        };
        let mut c = self.write();
        let tx = c.transaction()?;
        let story: Option<Option<i64>> = tx
            .query_row(
                "UPDATE articles SET status = ?3 WHERE id = ?1 AND status IN (?2, ?3) RETURNING story_id",
                params![id, from, to],
                |r| r.get(0),
            )
            .optional()?;
        let Some(story) = story else {
            return Ok(false);
        };
        if let Some(story) = story {
            refresh_story(&tx, story, Utc::now())?;
        }
        tx.commit()?;
        Ok(true)
    }

    fn counts(&self) -> Result<Counts> {
        let c = self.read();
        let mut counts = Counts::default();
        let mut st = c.prepare_cached("SELECT status, COUNT(*) FROM articles GROUP BY status")?;
        for row in st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))? {
            let (status, n) = row?;
            match status.as_str() {
                "ready" => counts.ready = n,
                "pending" => counts.pending = n,
                "failed" => counts.failed = n,
                "hidden" => counts.hidden = n,
                _ => {}
            }
        }
        let mut st = c.prepare_cached(
            "SELECT COALESCE(lang, 'und'), COUNT(*) FROM articles WHERE status = 'ready'
             GROUP BY 1 ORDER BY 2 DESC, 1",
        )?;
        counts.by_lang = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        counts.unclustered = c.query_row(
            "SELECT COUNT(*) FROM articles WHERE status = 'ready' AND cluster_seq IS NULL",
            [],
            |r| r.get(0),
        )?;
        counts.stories = c.query_row(
            "SELECT COUNT(*) FROM stories WHERE merged_into IS NULL AND articles > 0",
            [],
            |r| r.get(0),
        )?;
        Ok(counts)
    }

    fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool> {
        let c = self.write();
        // One statement: take it if free, expired or already ours.
        let n = c.execute(
            "INSERT INTO leases (name, holder, until) VALUES (?1, ?2, ?4)
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until
             WHERE leases.holder = excluded.holder OR leases.until <= ?3",
            params![name, holder, ts(now), ts(until)],
        )?;
        Ok(n > 0)
    }

    fn release_lease(&self, name: &str, holder: &str) -> Result<()> {
        self.write().execute(
            "DELETE FROM leases WHERE name = ?1 AND holder = ?2",
            params![name, holder],
        )?;
        Ok(())
    }

    fn unclustered(&self, limit: usize) -> Result<Vec<Article>> {
        let c = self.read();
        let mut st = c.prepare_cached(&format!(
            "SELECT {ARTICLE_COLS} FROM articles WHERE status = 'ready' AND cluster_seq IS NULL
             ORDER BY published_at, id LIMIT ?1"
        ))?;
        let rows = st
            .query_map([limit.clamp(1, 10_000) as i64], article_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        drop(st);
        drop(c);
        collect_articles(rows)
    }

    fn placed_since(&self, after: i64, limit: usize) -> Result<Vec<Placed>> {
        let c = self.read();
        let mut st = c.prepare_cached(&format!(
            "SELECT {ARTICLE_COLS}, cluster_seq FROM articles
             WHERE cluster_seq > ?1 AND story_id IS NOT NULL ORDER BY cluster_seq LIMIT ?2"
        ))?;
        // The sequence comes after the article's columns, so `article_row` reads the rest.
        let rows = st
            .query_map(params![after, limit.clamp(1, 100_000) as i64], |r| {
                Ok((r.get::<_, i64>(12)?, article_row(r)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        drop(st);
        drop(c);
        rows.into_iter()
            .map(|(seq, row)| {
                Ok(Placed {
                    seq,
                    article: row.decode()?,
                })
            })
            .collect()
    }

    fn record_stories(
        &self,
        lease: &str,
        holder: &str,
        batch: &StoryBatch,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let mut c = self.write();
        let tx = c.transaction()?;
        let held: bool = tx
            .query_row(
                "SELECT COUNT(*) FROM leases WHERE name = ?1 AND holder = ?2 AND until > ?3",
                params![lease, holder, ts(now)],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n > 0)?;
        if !held {
            return Err(Error::LeaseLost(lease.to_string()));
        }
        let mut seq: i64 = tx.query_row(
            "SELECT COALESCE(MAX(cluster_seq), 0) FROM articles",
            [],
            |r| r.get(0),
        )?;
        let mut touched = std::collections::BTreeSet::new();
        for p in &batch.placements {
            seq += 1;
            tx.execute(
                "INSERT INTO stories (id, updated_at) VALUES (?1, ?2) ON CONFLICT (id) DO NOTHING",
                params![p.story, ts(now)],
            )?;
            tx.execute(
                "UPDATE articles SET story_id = ?2, duplicate_of = ?3, central = ?4, cluster_seq = ?5
                 WHERE id = ?1 AND cluster_seq IS NULL",
                params![p.article, p.story, p.duplicate_of, p.central, seq],
            )?;
            touched.insert(p.story);
        }
        for &(article, story) in &batch.moves {
            let from: Option<i64> = tx
                .query_row(
                    "SELECT story_id FROM articles WHERE id = ?1",
                    [article],
                    |r| r.get(0),
                )
                .optional()?
                .flatten();
            tx.execute(
                "INSERT INTO stories (id, updated_at) VALUES (?1, ?2) ON CONFLICT (id) DO NOTHING",
                params![story, ts(now)],
            )?;
            // A new sequence number puts the move in the replay stream, so a
            // standby worker's index learns of it.
            seq += 1;
            tx.execute(
                "UPDATE articles SET story_id = ?2, cluster_seq = ?3 WHERE id = ?1",
                params![article, story, seq],
            )?;
            touched.extend(from);
            touched.insert(story);
        }
        for &(a, b, score) in &batch.links {
            for (x, y) in [(a, b), (b, a)] {
                tx.execute(
                    "INSERT INTO story_links (story, other, score) VALUES (?1, ?2, ?3)
                     ON CONFLICT (story, other) DO UPDATE SET score = MAX(score, excluded.score)",
                    params![x, y, score],
                )?;
            }
        }
        for &(gone, keep) in &batch.merges {
            // Each article of the merged story is placed anew in the replay
            // stream, as for a move.
            let members: Vec<i64> = tx
                .prepare_cached("SELECT id FROM articles WHERE story_id = ?1 ORDER BY cluster_seq")?
                .query_map([gone], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            for article in members {
                seq += 1;
                tx.execute(
                    "UPDATE articles SET story_id = ?2, cluster_seq = ?3 WHERE id = ?1",
                    params![article, keep, seq],
                )?;
            }
            tx.execute(
                "UPDATE stories SET merged_into = ?2, articles = 0, sources = 0, updated_at = ?3
                 WHERE id = ?1 OR merged_into = ?1",
                params![gone, keep, ts(now)],
            )?;
            for (col, other) in [("story", "other"), ("other", "story")] {
                tx.execute(
                    &format!(
                        "INSERT INTO story_links (story, other, score)
                         SELECT {}, {}, score FROM story_links WHERE {col} = ?1 AND {other} != ?2
                         ON CONFLICT (story, other) DO UPDATE SET score = MAX(score, excluded.score)",
                        if col == "story" { "?2" } else { "story" },
                        if col == "story" { "other" } else { "?2" },
                    ),
                    params![gone, keep],
                )?;
            }
            tx.execute(
                "DELETE FROM story_links WHERE story = ?1 OR other = ?1 OR story = other",
                params![gone],
            )?;
            touched.remove(&gone);
            touched.insert(keep);
        }
        for story in touched {
            refresh_story(&tx, story, now)?;
        }
        tx.commit()?;
        Ok(seq)
    }

    fn instance_id(&self) -> Result<String> {
        let c = self.read();
        Ok(
            c.query_row("SELECT value FROM meta WHERE key = 'instance'", [], |r| {
                r.get(0)
            })?,
        )
    }

    fn max_story_id(&self) -> Result<StoryId> {
        let c = self.read();
        Ok(c.query_row("SELECT COALESCE(MAX(id), 0) FROM stories", [], |r| r.get(0))?)
    }

    fn story(&self, id: StoryId) -> Result<Option<Story>> {
        let c = self.read();
        Ok(c.query_row(
            &format!("SELECT {STORY_COLS} FROM stories WHERE id = ?1"),
            [id],
            story_row,
        )
        .optional()?)
    }

    fn stories(&self, q: &StoryQuery) -> Result<Vec<Story>> {
        let mut sql =
            format!("SELECT {STORY_COLS} FROM stories WHERE merged_into IS NULL AND articles > 0");
        let mut args: Vec<rusqlite::types::Value> = Vec::new();
        match q.lang.as_deref() {
            Some("und") => sql.push_str(" AND lang IS NULL"),
            Some(l) => {
                args.push(l.to_string().into());
                sql.push_str(&format!(" AND lang = ?{}", args.len()));
            }
            None => {}
        }
        if let Some(src) = q.source {
            args.push(src.into());
            sql.push_str(&format!(
                " AND id IN (SELECT story_id FROM articles WHERE source_id = ?{} AND status = 'ready')",
                args.len()
            ));
        }
        sql.push_str(&format!(
            " ORDER BY last_at DESC, id DESC LIMIT {}",
            q.limit.clamp(1, 500)
        ));
        let c = self.read();
        let mut st = c.prepare_cached(&sql)?;
        let rows = st
            .query_map(rusqlite::params_from_iter(args), story_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    fn story_articles(&self, id: StoryId, limit: usize) -> Result<Vec<Article>> {
        self.newest_of_story(ARTICLE_COLS, id, limit)
    }

    fn story_members(&self, id: StoryId, limit: usize) -> Result<Vec<Article>> {
        self.newest_of_story(ARTICLE_COLS_BRIEF, id, limit)
    }

    fn copies_of(&self, original: ArticleId, limit: usize) -> Result<Vec<Article>> {
        let c = self.read();
        // Two indexed lookups, sorted here: with `id = ?1 OR duplicate_of = ?1`,
        // or an ORDER BY over the union, SQLite walks the status index instead
        // (150 ms at 100,000 articles). `+status` keeps that index out.
        let mut st = c.prepare_cached(&format!(
            "SELECT {ARTICLE_COLS_BRIEF} FROM articles WHERE id = ?1 AND +status = 'ready'
             UNION ALL
             SELECT {ARTICLE_COLS_BRIEF} FROM articles
               WHERE duplicate_of = ?1 AND +status = 'ready' LIMIT ?2"
        ))?;
        let rows = st
            .query_map(params![original, limit.clamp(1, 5_000) as i64], article_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        drop(st);
        drop(c);
        let mut out = collect_articles(rows)?;
        out.sort_by_key(|a| (a.published(), a.id));
        out.truncate(limit);
        Ok(out)
    }

    fn related_stories(&self, id: StoryId, limit: usize) -> Result<Vec<(Story, f32)>> {
        let c = self.read();
        let cols = STORY_COLS
            .split(", ")
            .map(|col| format!("s.{col}"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut st = c.prepare_cached(&format!(
            "SELECT {cols}, l.score FROM story_links l JOIN stories s ON s.id = l.other
             WHERE l.story = ?1 AND s.merged_into IS NULL AND s.articles > 0
             ORDER BY l.score DESC, s.last_at DESC LIMIT ?2"
        ))?;
        let rows = st
            .query_map(params![id, limit.clamp(1, 100) as i64], |r| {
                Ok((story_row(r)?, r.get::<_, f64>(11)? as f32))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    fn groups(&self) -> Result<Vec<Group>> {
        let c = self.read();
        let mut st = c.prepare_cached(
            "SELECT source_id, COALESCE(lang, 'und'), COUNT(*), MAX(published_at) FROM articles
             WHERE status = 'ready' GROUP BY 1, 2 ORDER BY 4 DESC, 1, 2",
        )?;
        let rows = st
            .query_map([], |r| {
                Ok(Group {
                    source: r.get(0)?,
                    lang: r.get(1)?,
                    count: r.get(2)?,
                    newest: parse_ts(r.get(3)?),
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }
}

//! The embedded SQLite backend: one writer connection and a few readers in
//! WAL mode. The SQL lives in one module per aggregate (`sources`,
//! `articles`, `stories`, `leases`), rows are decoded in `rows`, and the
//! schema is the SQL files under `migrations/sqlite`, applied in order.

mod articles;
mod leases;
mod pages;
mod rows;
mod sources;
mod stories;
mod translations;
mod websub;

use std::path::Path;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};
use courant_model::{
    Article, ArticleId, FeedEntry, NewSource, Source, SourceId, Story, StoryId, Translation,
};
use rusqlite::Connection;

use crate::{
    ArticleOutcome, ArticleQuery, Counts, Error, Group, PageState, Placed, PollRecord, Result,
    Store, StoryBatch, StoryQuery, TranslationQuery, WebSub,
};

/// The schema, applied in order; `PRAGMA user_version` records how many are.
/// A new version is a new file at the end, never an edit of an applied one.
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/sqlite/0001_init.sql"),
    include_str!("../../migrations/sqlite/0002_stories.sql"),
    include_str!("../../migrations/sqlite/0003_instance.sql"),
    include_str!("../../migrations/sqlite/0004_front_pages.sql"),
    include_str!("../../migrations/sqlite/0005_translations.sql"),
    include_str!("../../migrations/sqlite/0006_events.sql"),
    include_str!("../../migrations/sqlite/0007_revisions.sql"),
    include_str!("../../migrations/sqlite/0008_page_checks.sql"),
    include_str!("../../migrations/sqlite/0009_websub.sql"),
    include_str!("../../migrations/sqlite/0010_host_turns.sql"),
];

const READERS: usize = 4;

/// SQLite in WAL mode: one writer connection and a few reader connections.
#[derive(Debug)]
pub struct SqliteStore {
    writer: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
    /// The source served last by `claim_pending`: claims go round the
    /// sources from the one after it.
    claim_cursor: AtomicI64,
}

pub(crate) use super::rows::{json, parse_ts, ts};

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
        let fail = |step: &'static str, e: Box<dyn std::error::Error + Send + Sync>| Error::Open {
            path: path.display().to_string(),
            step,
            source: e,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| fail("create the folder of", e.into()))?;
        }
        let mut writer = open_conn(path).map_err(|e| fail("open", e.into()))?;
        migrate(&mut writer).map_err(|e| fail("migrate", e.into()))?;
        let readers = (0..READERS)
            .map(|_| open_conn(path).map(Mutex::new))
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| fail("open", e.into()))?;
        Ok(SqliteStore {
            writer: Mutex::new(writer),
            readers,
            next_reader: AtomicUsize::new(0),
            claim_cursor: AtomicI64::new(0),
        })
    }

    /// Caps the database at `bytes` (None lifts the cap): a write beyond it
    /// fails as on a full disk, and the data already stored stays readable.
    /// For a hard ceiling on a small machine, and for the disk-full tests.
    pub fn cap_size(&self, bytes: Option<u64>) -> Result<()> {
        let c = self.write();
        let page: i64 = c.pragma_query_value(None, "page_size", |r| r.get(0))?;
        let pages = bytes.map_or(i64::from(u32::MAX), |b| (b as i64 / page.max(1)).max(1));
        c.pragma_update(None, "max_page_count", pages)?;
        Ok(())
    }

    /// A free reader if there is one (a long read never holds up short ones
    /// that could use another connection), else the next in turn.
    pub(crate) fn read(&self) -> MutexGuard<'_, Connection> {
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

/// Adds a language filter to a query being built: `und` is the articles or
/// stories of no known language.
fn push_lang(sql: &mut String, args: &mut Vec<rusqlite::types::Value>, lang: Option<&str>) {
    match lang {
        Some("und") => sql.push_str(" AND lang IS NULL"),
        Some(l) => {
            args.push(l.to_string().into());
            sql.push_str(&format!(" AND lang = ?{}", args.len()));
        }
        None => {}
    }
}

impl Store for SqliteStore {
    fn add_source(&self, s: &NewSource) -> Result<Source> {
        sources::add_source(self, s)
    }

    fn remove_source(&self, id: SourceId) -> Result<bool> {
        sources::remove_source(self, id)
    }

    fn sources(&self) -> Result<Vec<Source>> {
        sources::sources(self)
    }

    fn source(&self, id: SourceId) -> Result<Option<Source>> {
        sources::source(self, id)
    }

    fn due_sources(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<Source>> {
        sources::due_sources(self, now, limit)
    }

    fn claim_due_sources(
        &self,
        now: DateTime<Utc>,
        lease_secs: i64,
        host_gap_secs: f64,
        limit: usize,
    ) -> Result<Vec<Source>> {
        sources::claim_due_sources(self, now, lease_secs, host_gap_secs, limit)
    }

    fn record_poll(&self, id: SourceId, rec: &PollRecord) -> Result<()> {
        sources::record_poll(self, id, rec)
    }

    fn insert_entries(
        &self,
        source: SourceId,
        entries: &[FeedEntry],
        now: DateTime<Utc>,
    ) -> Result<usize> {
        articles::insert_entries(self, source, entries, now)
    }

    fn claim_pending(
        &self,
        now: DateTime<Utc>,
        lease_secs: i64,
        limit: usize,
    ) -> Result<Vec<Article>> {
        articles::claim_pending(self, now, lease_secs, limit)
    }

    fn finish_article(&self, id: ArticleId, outcome: &ArticleOutcome) -> Result<()> {
        articles::finish_article(self, id, None, outcome).map(|_| ())
    }

    fn finish_claimed(
        &self,
        id: ArticleId,
        attempt: i64,
        outcome: &ArticleOutcome,
    ) -> Result<bool> {
        articles::finish_article(self, id, Some(attempt), outcome)
    }

    fn renew_claim(&self, id: ArticleId, attempt: i64, until: DateTime<Utc>) -> Result<bool> {
        articles::renew_claim(self, id, attempt, until)
    }

    fn articles(&self, q: &ArticleQuery) -> Result<Vec<Article>> {
        articles::articles(self, q)
    }

    fn article(&self, id: ArticleId) -> Result<Option<Article>> {
        articles::article(self, id)
    }

    fn set_hidden(&self, id: ArticleId, hidden: bool) -> Result<bool> {
        articles::set_hidden(self, id, hidden)
    }

    fn record_page(&self, id: ArticleId, page: &PageState) -> Result<()> {
        pages::record_page(self, id, page)
    }

    fn claim_page_checks(
        &self,
        now: DateTime<Utc>,
        lease_secs: i64,
        limit: usize,
    ) -> Result<Vec<(Article, PageState)>> {
        pages::claim_page_checks(self, now, lease_secs, limit)
    }

    fn page_changed(&self, id: ArticleId, now: DateTime<Utc>) -> Result<bool> {
        pages::page_changed(self, id, now)
    }

    fn put_websub(&self, w: &WebSub) -> Result<()> {
        websub::put_websub(self, w)
    }

    fn websub(&self, source: SourceId) -> Result<Option<WebSub>> {
        websub::websub(self, source)
    }

    fn websub_verified(&self, source: SourceId, until: Option<DateTime<Utc>>) -> Result<bool> {
        websub::websub_verified(self, source, until)
    }

    fn counts(&self) -> Result<Counts> {
        articles::counts(self)
    }

    fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool> {
        leases::acquire_lease(self, name, holder, now, until)
    }

    fn lease_holder(&self, name: &str) -> Result<Option<String>> {
        leases::lease_holder(self, name)
    }

    fn release_lease(&self, name: &str, holder: &str) -> Result<()> {
        leases::release_lease(self, name, holder)
    }

    fn unclustered(&self, limit: usize) -> Result<Vec<Article>> {
        stories::unclustered(self, limit)
    }

    fn placed_since(&self, after: i64, limit: usize) -> Result<Vec<Placed>> {
        stories::placed_since(self, after, limit)
    }

    fn searchable_count(&self, upto: i64) -> Result<u64> {
        stories::searchable_count(self, upto)
    }

    fn record_stories(
        &self,
        lease: &str,
        holder: &str,
        batch: &StoryBatch,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        stories::record_stories(self, lease, holder, batch, now)
    }

    fn instance_id(&self) -> Result<String> {
        leases::instance_id(self)
    }

    fn max_story_id(&self) -> Result<StoryId> {
        stories::max_story_id(self)
    }

    fn story(&self, id: StoryId) -> Result<Option<Story>> {
        stories::story(self, id)
    }

    fn stories(&self, q: &StoryQuery) -> Result<Vec<Story>> {
        stories::stories(self, q)
    }

    fn story_articles(&self, id: StoryId, limit: usize) -> Result<Vec<Article>> {
        stories::story_articles(self, id, limit)
    }

    fn story_members(&self, id: StoryId, limit: usize) -> Result<Vec<Article>> {
        stories::story_members(self, id, limit)
    }

    fn copies_of(&self, original: ArticleId, limit: usize) -> Result<Vec<Article>> {
        stories::copies_of(self, original, limit)
    }

    fn related_stories(&self, id: StoryId, limit: usize) -> Result<Vec<(Story, f32)>> {
        stories::related_stories(self, id, limit)
    }

    fn event_stories(&self, id: StoryId) -> Result<Vec<Story>> {
        stories::event_stories(self, id)
    }

    fn event_breadth(
        &self,
        ids: &[StoryId],
    ) -> Result<std::collections::HashMap<StoryId, (StoryId, i64)>> {
        stories::event_breadth(self, ids)
    }

    fn vectors(&self, ids: &[ArticleId]) -> Result<std::collections::HashMap<ArticleId, Vec<f32>>> {
        stories::vectors(self, ids)
    }

    fn groups(&self) -> Result<Vec<Group>> {
        articles::groups(self)
    }

    fn put_translation(&self, t: &Translation) -> Result<()> {
        translations::put(self, t)
    }

    fn translation(&self, article: ArticleId, lang: &str) -> Result<Option<Translation>> {
        translations::one(self, article, lang)
    }

    fn translations_of(&self, article: ArticleId) -> Result<Vec<Translation>> {
        translations::of_article(self, article)
    }

    fn translations(&self, q: &TranslationQuery) -> Result<Vec<Translation>> {
        translations::list(self, q)
    }

    fn translation_counts(&self) -> Result<Vec<(String, String, i64)>> {
        translations::counts(self)
    }

    fn reserve_chars(
        &self,
        provider: &str,
        day: &str,
        chars: u64,
        limit: Option<u64>,
    ) -> Result<bool> {
        translations::reserve(self, provider, day, chars, limit)
    }

    fn chars_spent(&self, provider: &str, day: &str) -> Result<u64> {
        translations::spent(self, provider, day)
    }

    fn recall_segments(
        &self,
        provider: &str,
        from: &str,
        to: &str,
        keys: &[String],
    ) -> Result<std::collections::HashMap<String, String>> {
        translations::recall(self, provider, from, to, keys)
    }

    fn remember_segments(
        &self,
        provider: &str,
        from: &str,
        to: &str,
        items: &[(String, String)],
        now: DateTime<Utc>,
    ) -> Result<()> {
        translations::remember(self, provider, from, to, items, now)
    }
}

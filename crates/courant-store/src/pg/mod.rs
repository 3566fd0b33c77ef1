//! The PostgreSQL backend, for more than one machine: the same `Store` as
//! SQLite, shared by any number of worker, story and web processes. Claims
//! use `FOR UPDATE SKIP LOCKED`, so workers never wait on each other's
//! claims; the schema is the SQL files under `migrations/postgres`.
//!
//! Connections come from a small pool of its own ([`pool`]): a dropped
//! connection is opened again on the next call, after a backoff while the
//! server is down, and a call meanwhile fails at once as
//! [`Error::Unavailable`](crate::Error::Unavailable) instead of waiting.

mod articles;
mod pages;
mod pool;
mod sources;
mod stories;
mod translations;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::atomic::AtomicI64;

use chrono::{DateTime, Utc};
use courant_model::{
    Article, ArticleId, FeedEntry, NewSource, Source, SourceId, Story, StoryId, Translation,
};
use postgres::types::ToSql;

use crate::{
    ArticleOutcome, ArticleQuery, Counts, Group, PageState, Placed, PollRecord, Result, Store,
    StoryBatch, StoryQuery, TranslationQuery, WebSub,
};

pub use pool::PgConfigError;

/// The schema, applied in order inside one transaction under an advisory
/// lock, so processes starting together migrate once. A new version is a
/// new file at the end, never an edit of an applied one.
const MIGRATIONS: &[&str] = &[include_str!("../../migrations/postgres/0001_init.sql")];

/// Boxed query parameters, for statements built at run time.
pub(crate) type Args = Vec<Box<dyn ToSql + Sync + Send>>;

pub(crate) fn refs(args: &Args) -> Vec<&(dyn ToSql + Sync)> {
    args.iter()
        .map(|a| a.as_ref() as &(dyn ToSql + Sync))
        .collect()
}

/// Adds a language filter: `und` is the rows of no known language.
fn push_lang(sql: &mut String, args: &mut Args, lang: Option<&str>) {
    match lang {
        Some("und") => sql.push_str(" AND lang IS NULL"),
        Some(l) => {
            args.push(Box::new(l.to_string()));
            sql.push_str(&format!(" AND lang = ${}", args.len()));
        }
        None => {}
    }
}

/// PostgreSQL behind [`Store`].
#[derive(Debug)]
pub struct PgStore {
    pool: pool::Pool,
    /// The source served last by `claim_pending` in this process.
    claim_cursor: AtomicI64,
}

impl PgStore {
    /// Connects to `url` (`postgres://user@host:port/db`) and migrates.
    pub fn open(url: &str) -> Result<Self> {
        Self::open_in(url, None)
    }

    /// The same, with every table in `schema` (created when missing): one
    /// server holds several installations, or one per test.
    pub fn open_in(url: &str, schema: Option<&str>) -> Result<Self> {
        let pool = pool::Pool::new(url, schema)?;
        pool.with(|c| migrate(c, schema))?;
        Ok(PgStore {
            pool,
            claim_cursor: AtomicI64::new(0),
        })
    }

    /// Runs `f` on a pooled connection (see [`pool::Pool::with`]).
    pub(crate) fn with<T: Send>(
        &self,
        f: impl FnOnce(&mut postgres::Client) -> Result<T> + Send,
    ) -> Result<T> {
        self.pool.with(f)
    }

    /// Drops the schema this store lives in, with everything in it (tests).
    pub fn drop_schema(&self, schema: &str) -> Result<()> {
        let quoted = pool::quote_ident(schema);
        self.with(|c| Ok(c.batch_execute(&format!("DROP SCHEMA IF EXISTS {quoted} CASCADE"))?))
    }
}

fn migrate(c: &mut postgres::Client, schema: Option<&str>) -> Result<()> {
    let mut tx = c.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock(7201400725)", &[])?;
    if let Some(s) = schema {
        tx.batch_execute(&format!(
            "CREATE SCHEMA IF NOT EXISTS {0}; SET LOCAL search_path TO {0}",
            pool::quote_ident(s)
        ))?;
    }
    tx.batch_execute("CREATE TABLE IF NOT EXISTS courant_schema (version BIGINT NOT NULL)")?;
    let version: Option<i64> = tx
        .query_opt("SELECT version FROM courant_schema", &[])?
        .map(|r| r.try_get(0))
        .transpose()?;
    if version.is_none() {
        tx.execute("INSERT INTO courant_schema (version) VALUES (0)", &[])?;
    }
    let version = version.unwrap_or(0).max(0) as usize;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
        tx.batch_execute(sql)?;
        tx.execute(
            "UPDATE courant_schema SET version = $1",
            &[&((i + 1) as i64)],
        )?;
    }
    tx.commit()?;
    Ok(())
}

impl Store for PgStore {
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
        pages::put_websub(self, w)
    }

    fn websub(&self, source: SourceId) -> Result<Option<WebSub>> {
        pages::websub(self, source)
    }

    fn websub_verified(&self, source: SourceId, until: Option<DateTime<Utc>>) -> Result<bool> {
        pages::websub_verified(self, source, until)
    }

    fn counts(&self) -> Result<Counts> {
        articles::counts(self)
    }

    fn groups(&self) -> Result<Vec<Group>> {
        articles::groups(self)
    }

    fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool> {
        stories::acquire_lease(self, name, holder, now, until)
    }

    fn lease_holder(&self, name: &str) -> Result<Option<String>> {
        stories::lease_holder(self, name)
    }

    fn release_lease(&self, name: &str, holder: &str) -> Result<()> {
        stories::release_lease(self, name, holder)
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
        stories::instance_id(self)
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
        stories::newest_of_story(self, crate::rows::ARTICLE_COLS, id, limit)
    }

    fn story_members(&self, id: StoryId, limit: usize) -> Result<Vec<Article>> {
        stories::newest_of_story(self, articles::ARTICLE_COLS_BRIEF, id, limit)
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

    fn event_breadth(&self, ids: &[StoryId]) -> Result<HashMap<StoryId, (StoryId, i64)>> {
        stories::event_breadth(self, ids)
    }

    fn vectors(&self, ids: &[ArticleId]) -> Result<HashMap<ArticleId, Vec<f32>>> {
        stories::vectors(self, ids)
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
    ) -> Result<HashMap<String, String>> {
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

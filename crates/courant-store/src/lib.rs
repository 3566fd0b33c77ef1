//! Storage behind one interface, [`Store`], so the stages never see SQL.
//!
//! The embedded default is SQLite in WAL mode ([`SqliteStore`]). A PostgreSQL
//! backend implements the same trait; nothing outside this crate changes.
//!
//! Invariants:
//! - an article is identified by `(source, guid)`: ingesting a feed again
//!   stores nothing twice;
//! - work is claimed with a lease (`claimed_until`), so a worker killed with
//!   -9 loses nothing: its claims expire and another worker takes them;
//! - every write is one transaction.
//!
//! # What it holds
//!
//! Sources, their health, articles, leases on work (migrations counted by
//! `PRAGMA user_version`); stories (`stories`, `story_links`, `articles.story_id`, `duplicate_of`,
//! `cluster_seq`) and named leases (`leases`); `meta` holds the database's
//! instance id. Brief reads (`ArticleQuery::brief`, `story_members`,
//! `copies_of`) let SQLite pick out title, language and dates, so lists never
//! decode full texts; `story_articles` and `story_members` return a story's
//! newest members up to a limit. Reads take a free reader connection first
//! (four in all), so one long read does not hold up short ones.
//! `record_stories` writes a batch of placements, links and merges in one
//! transaction and sums each touched story again (counts, span, lead = the most
//! central original, whose title and first sentence name the story).
//!
//! # Why rusqlite
//!
//! Synchronous calls run on tokio's blocking pool. Chosen over `sqlx` for
//! compile time and because the trait, not the driver, is the seam for
//! PostgreSQL: a `PgStore` implements `Store`, and `claim_pending` maps to
//! `UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING`.
#![warn(missing_docs)]

mod migrate;
mod pg;
pub mod policy;
mod rows;
mod sqlite;

#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};
use courant_model::{
    Article, ArticleId, FeedEntry, NewSource, ProcessedArticle, Source, SourceId, Story, StoryId,
    Translation, TranslationStatus,
};

pub use migrate::{copy_sqlite_to_pg, CopyReport};
pub use pg::{PgConfigError, PgStore};
pub use sqlite::SqliteStore;

/// Opens the store a URL or path names: `postgres://` (or `postgresql://`)
/// is PostgreSQL, anything else a SQLite file.
pub fn open(target: &str) -> Result<std::sync::Arc<dyn Store>> {
    if is_postgres(target) {
        Ok(std::sync::Arc::new(PgStore::open(target)?))
    } else {
        Ok(std::sync::Arc::new(SqliteStore::open(target)?))
    }
}

/// Whether a database target names PostgreSQL.
pub fn is_postgres(target: &str) -> bool {
    target.starts_with("postgres://") || target.starts_with("postgresql://")
}

/// Storage failures.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The database reported an error.
    #[error("store: database error: {0}")]
    Db(#[from] rusqlite::Error),
    /// PostgreSQL reported an error.
    #[error("store: PostgreSQL error: {0}")]
    Pg(#[from] postgres::Error),
    /// The database server cannot be reached now (down, restarting, the
    /// connection dropped): try again later; nothing was written.
    #[error("store: database unavailable: {reason}")]
    Unavailable {
        /// What happened.
        reason: String,
        /// The driver's error, when there was one.
        #[source]
        source: Option<postgres::Error>,
    },
    /// A stored JSON column did not decode.
    #[error("store: corrupt row: {0}")]
    Corrupt(String),
    /// A lease-guarded write came from a worker that no longer holds the lease.
    #[error("store: lease {0} is held by another worker")]
    LeaseLost(String),
    /// The database file could not be opened or migrated.
    #[error("store: cannot {step} {path}")]
    Open {
        /// Database path.
        path: String,
        /// What failed: "create the folder of", "open" or "migrate".
        step: &'static str,
        /// The error underneath.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl Error {
    /// Whether the store is out of reach for now, rather than the request
    /// wrong: pages answer 503 and workers try again.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Error::Unavailable { .. })
    }
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, Error>;

/// What one poll of a source found.
#[derive(Debug, Clone, PartialEq)]
pub struct PollRecord {
    /// When the poll ran.
    pub at: DateTime<Utc>,
    /// When to poll next.
    pub next_poll_at: DateTime<Utc>,
    /// What happened.
    pub result: PollResult,
}

/// Outcome of a poll.
#[derive(Debug, Clone, PartialEq)]
pub enum PollResult {
    /// Fetched and parsed (or not modified).
    Ok {
        /// Feed title, to name a source that has none yet.
        title: Option<String>,
        /// Site link from the feed.
        site_url: Option<String>,
        /// New validators; `None` keeps the old ones (304).
        etag: Option<String>,
        /// New validators; `None` keeps the old ones (304).
        last_modified: Option<String>,
        /// A non-fatal note, such as parser warnings.
        warning: Option<String>,
    },
    /// Failed; the message is shown on the source's page.
    Failed {
        /// Error text, prefixed with its kind.
        error: String,
    },
}

/// How processing of one article ended.
#[derive(Debug, Clone, PartialEq)]
pub enum ArticleOutcome {
    /// Done; show it.
    Ready(Box<ProcessedArticle>),
    /// Failed for now; try again after `not_before`.
    Retry {
        /// Error text.
        error: String,
        /// Earliest next attempt.
        not_before: DateTime<Utc>,
    },
    /// Failed for good.
    Failed {
        /// Error text.
        error: String,
    },
}

/// A processed page as it looked: its validators and a hash of its
/// extracted text, and when to look at it again (`None`: never).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageState {
    /// `ETag` the page was served with.
    pub etag: Option<String>,
    /// `Last-Modified` the page was served with.
    pub last_modified: Option<String>,
    /// Hash of the text extracted from it.
    pub text_hash: String,
    /// When to look again.
    pub next_check: Option<DateTime<Utc>>,
}

/// A WebSub subscription of one source at its feed's hub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebSub {
    /// The source.
    pub source_id: SourceId,
    /// The hub's URL.
    pub hub: String,
    /// The topic (the feed's self URL).
    pub topic: String,
    /// The secret deliveries are signed with (HMAC).
    pub secret: String,
    /// When the subscription was last asked for.
    pub requested_at: DateTime<Utc>,
    /// Until when the hub confirmed it; `None` before it did.
    pub lease_until: Option<DateTime<Utc>>,
}

/// Filter and page for article lists, newest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ArticleQuery {
    /// Only this source.
    pub source: Option<SourceId>,
    /// Only this language ("und": unknown).
    pub lang: Option<String>,
    /// Include articles that are not ready yet.
    pub include_pending: bool,
    /// Page size (capped at 500).
    pub limit: usize,
    /// Rows to skip.
    pub offset: usize,
    /// Only what a list shows: title, language and dates, no text or body.
    pub brief: bool,
}

/// Article counts for overview pages.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Counts {
    /// Articles processed and shown.
    pub ready: i64,
    /// Articles waiting for processing.
    pub pending: i64,
    /// Articles that failed for good.
    pub failed: i64,
    /// Articles hidden by an operator.
    pub hidden: i64,
    /// Ready articles not placed in a story yet (the story job's queue).
    pub unclustered: i64,
    /// Live stories.
    pub stories: i64,
    /// Ready articles per language, most first.
    pub by_lang: Vec<(String, i64)>,
}

/// Ready articles of one source in one language.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Group {
    /// The source.
    pub source: SourceId,
    /// Language code, "und" when unknown.
    pub lang: String,
    /// Ready articles.
    pub count: i64,
    /// Newest publication time.
    pub newest: Option<DateTime<Utc>>,
}

/// Where the clusterer put one article.
#[derive(Debug, Clone, PartialEq)]
pub struct Placement {
    /// The article.
    pub article: ArticleId,
    /// Its story (a new id opens the story).
    pub story: StoryId,
    /// The earlier article it copies.
    pub duplicate_of: Option<ArticleId>,
    /// Cosine to the story's centroid: the most central member leads the story.
    pub central: f32,
}

/// One batch of clustering decisions, written in one transaction.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoryBatch {
    /// Articles placed, in placement order.
    pub placements: Vec<Placement>,
    /// Related stories found, `(story, other, score)`.
    pub links: Vec<(StoryId, StoryId, f32)>,
    /// Merges `(gone, survivor)`, in the order they happened.
    pub merges: Vec<(StoryId, StoryId)>,
    /// Articles moved by a split `(article, new story)`, after the placements.
    pub moves: Vec<(ArticleId, StoryId)>,
    /// Embeddings of placed articles `(article, model, vector)`.
    pub vectors: Vec<(ArticleId, String, Vec<f32>)>,
    /// Stories linked across languages `(story, event)`, after the merges.
    pub events: Vec<(StoryId, StoryId)>,
}

/// A placed article for replay: its placement order and decision.
#[derive(Debug, Clone, PartialEq)]
pub struct Placed {
    /// Placement order, increasing.
    pub seq: i64,
    /// The article (with `story` and `duplicate_of` set).
    pub article: Article,
}

/// Filter and page for story lists.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoryQuery {
    /// Only stories led by an article in this language.
    pub lang: Option<String>,
    /// Only stories with an article from this source.
    pub source: Option<SourceId>,
    /// Page size (capped at 500).
    pub limit: usize,
}

/// Filter and page for translation lists, newest original first. Only
/// translations of ready (shown) articles are listed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TranslationQuery {
    /// Only this target language.
    pub lang: Option<String>,
    /// Only this status.
    pub status: Option<TranslationStatus>,
    /// Only translations of this source's articles.
    pub source: Option<SourceId>,
    /// Page size (capped at 500).
    pub limit: usize,
    /// Rows to skip.
    pub offset: usize,
}

/// Everything courant stores. Implementations must be safe to share between threads.
pub trait Store: Send + Sync {
    /// Adds a source, or updates name, language and attribution of the one with the same URL.
    fn add_source(&self, s: &NewSource) -> Result<Source>;
    /// Removes a source and its articles. Returns whether it existed.
    fn remove_source(&self, id: SourceId) -> Result<bool>;
    /// All sources, by name.
    fn sources(&self) -> Result<Vec<Source>>;
    /// One source.
    fn source(&self, id: SourceId) -> Result<Option<Source>>;
    /// Sources whose next poll is due at `now` (or never polled), soonest first.
    fn due_sources(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<Source>>;
    /// Claims up to `limit` due sources for polling. Each claimed source's
    /// next poll moves `lease_secs` ahead until its poll is recorded (a dead
    /// worker's claim returns then), and its host's turn moves
    /// `host_gap_secs` ahead: **no two workers poll one source at once, and
    /// polls of one host start at least `host_gap_secs` apart across all
    /// workers**. A due source whose host has no turn yet waits.
    fn claim_due_sources(
        &self,
        now: DateTime<Utc>,
        lease_secs: i64,
        host_gap_secs: f64,
        limit: usize,
    ) -> Result<Vec<Source>>;
    /// Records a poll's outcome and schedule.
    fn record_poll(&self, id: SourceId, rec: &PollRecord) -> Result<()>;
    /// Stores entries not seen before as pending articles; returns how many were new.
    fn insert_entries(
        &self,
        source: SourceId,
        entries: &[FeedEntry],
        now: DateTime<Utc>,
    ) -> Result<usize>;
    /// Claims up to `limit` pending articles whose lease is free, for `lease_secs`.
    fn claim_pending(
        &self,
        now: DateTime<Utc>,
        lease_secs: i64,
        limit: usize,
    ) -> Result<Vec<Article>>;
    /// Records how processing ended and releases the claim.
    fn finish_article(&self, id: ArticleId, outcome: &ArticleOutcome) -> Result<()>;
    /// Stores the outcome of claim `attempt` (the article's `attempts` as
    /// claimed) only while that claim is still the latest and the article
    /// pending. A worker whose lease ran out, and whose article another
    /// worker claimed since, gets `false`: its late result is discarded, so
    /// **an article's outcome is stored once, by its latest claim**.
    fn finish_claimed(&self, id: ArticleId, attempt: i64, outcome: &ArticleOutcome)
        -> Result<bool>;
    /// Extends claim `attempt` to `until` while it is still the latest;
    /// `false` once another worker has claimed the article.
    fn renew_claim(&self, id: ArticleId, attempt: i64, until: DateTime<Utc>) -> Result<bool>;
    /// Articles matching the query, newest first.
    fn articles(&self, q: &ArticleQuery) -> Result<Vec<Article>>;
    /// One article.
    fn article(&self, id: ArticleId) -> Result<Option<Article>>;
    /// Hides a ready article from every page, list, feed and story (or shows
    /// it again). Returns false when there is no such ready (or hidden) article.
    fn set_hidden(&self, id: ArticleId, hidden: bool) -> Result<bool>;
    /// Records what a processed page looked like and when to look again.
    fn record_page(&self, id: ArticleId, page: &PageState) -> Result<()>;
    /// Claims up to `limit` shown articles whose page is due for a look; each
    /// claimed look moves `lease_secs` ahead, so no other caller takes it.
    fn claim_page_checks(
        &self,
        now: DateTime<Utc>,
        lease_secs: i64,
        limit: usize,
    ) -> Result<Vec<(Article, PageState)>>;
    /// A shown article whose page changed is processed again, as a revision;
    /// false when it is not shown (hidden, pending, gone).
    fn page_changed(&self, id: ArticleId, now: DateTime<Utc>) -> Result<bool>;
    /// Records a WebSub subscription asked for (replacing the source's last).
    fn put_websub(&self, w: &WebSub) -> Result<()>;
    /// The source's WebSub subscription, if one was asked for.
    fn websub(&self, source: SourceId) -> Result<Option<WebSub>>;
    /// The hub confirmed (`Some(lease end)`) or ended (`None`) the source's
    /// subscription; false when there is none.
    fn websub_verified(&self, source: SourceId, until: Option<DateTime<Utc>>) -> Result<bool>;
    /// Counts by status and language.
    fn counts(&self) -> Result<Counts>;
    /// Ready articles per source and language ("und" when unknown), newest group first.
    fn groups(&self) -> Result<Vec<Group>>;

    /// Takes or renews the named lease for `holder` until `until`. False when
    /// another holder has it and it has not expired.
    fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool>;
    /// Who holds the named lease now, if anyone (expired or not).
    fn lease_holder(&self, name: &str) -> Result<Option<String>>;
    /// Gives the named lease up if `holder` has it.
    fn release_lease(&self, name: &str, holder: &str) -> Result<()>;
    /// Ready articles not placed in a story yet, oldest publication first.
    fn unclustered(&self, limit: usize) -> Result<Vec<Article>>;
    /// Placed articles after placement `after`, in placement order (replay).
    /// A move or a merge places its articles again, later in that order, so
    /// each article appears once, where its story last changed.
    fn placed_since(&self, after: i64, limit: usize) -> Result<Vec<Placed>>;
    /// Articles a search index that has read the placements up to `upto`
    /// must hold: placed, ready or hidden. An index holding fewer lost some.
    fn searchable_count(&self, upto: i64) -> Result<u64>;
    /// Writes a batch of clustering decisions, only while `holder` still holds
    /// lease `lease` (fencing: a worker that lost it cannot write). Returns
    /// the last placement's sequence number.
    fn record_stories(
        &self,
        lease: &str,
        holder: &str,
        batch: &StoryBatch,
        now: DateTime<Utc>,
    ) -> Result<i64>;
    /// A random id fixed when the database was created: caches of the store
    /// (the search index) use it to tell a recreated database from theirs.
    fn instance_id(&self) -> Result<String>;
    /// The highest story id ever stored (merged ones included), 0 when none.
    fn max_story_id(&self) -> Result<StoryId>;
    /// One story as stored; a merged one has `merged_into` set.
    fn story(&self, id: StoryId) -> Result<Option<Story>>;
    /// Live stories with ready articles, most recently updated first.
    fn stories(&self, q: &StoryQuery) -> Result<Vec<Story>>;
    /// The newest `limit` ready articles of a story, oldest first.
    fn story_articles(&self, id: StoryId, limit: usize) -> Result<Vec<Article>>;
    /// The newest `limit` ready articles of a story, oldest first, brief (as
    /// [`ArticleQuery::brief`]): for timelines and lists.
    fn story_members(&self, id: StoryId, limit: usize) -> Result<Vec<Article>>;
    /// A text and its syndicated copies (`duplicate_of`), ready ones, oldest
    /// first, brief.
    fn copies_of(&self, original: ArticleId, limit: usize) -> Result<Vec<Article>>;
    /// Live stories related to this one, best first.
    fn related_stories(&self, id: StoryId, limit: usize) -> Result<Vec<(Story, f32)>>;
    /// The live stories of a story's event across languages, itself
    /// included, broadest first (just itself when it is linked to none).
    fn event_stories(&self, id: StoryId) -> Result<Vec<Story>>;
    /// For each story: its event (its own id when linked to none) and how
    /// many languages (live stories) the event is told in.
    fn event_breadth(
        &self,
        ids: &[StoryId],
    ) -> Result<std::collections::HashMap<StoryId, (StoryId, i64)>>;
    /// Stored embeddings of these articles.
    fn vectors(&self, ids: &[ArticleId]) -> Result<std::collections::HashMap<ArticleId, Vec<f32>>>;

    /// Adds or replaces the translation of an article into its language.
    fn put_translation(&self, t: &Translation) -> Result<()>;
    /// The translation of an article into `lang`, in any status.
    fn translation(&self, article: ArticleId, lang: &str) -> Result<Option<Translation>>;
    /// Every translation of an article, by language.
    fn translations_of(&self, article: ArticleId) -> Result<Vec<Translation>>;
    /// Translations matching the query.
    fn translations(&self, q: &TranslationQuery) -> Result<Vec<Translation>>;
    /// Translations per `(language, status)`.
    fn translation_counts(&self) -> Result<Vec<(String, String, i64)>>;
    /// Adds `chars` to what `provider` was sent on `day` (`YYYY-MM-DD`, UTC)
    /// unless the sum would pass `limit`; false then, and nothing is added.
    fn reserve_chars(
        &self,
        provider: &str,
        day: &str,
        chars: u64,
        limit: Option<u64>,
    ) -> Result<bool>;
    /// Characters sent to `provider` on `day`.
    fn chars_spent(&self, provider: &str, day: &str) -> Result<u64>;
    /// Remembered translations of segments, by key.
    fn recall_segments(
        &self,
        provider: &str,
        from: &str,
        to: &str,
        keys: &[String],
    ) -> Result<std::collections::HashMap<String, String>>;
    /// Remembers translated segments by key.
    fn remember_segments(
        &self,
        provider: &str,
        from: &str,
        to: &str,
        items: &[(String, String)],
        now: DateTime<Utc>,
    ) -> Result<()>;
}

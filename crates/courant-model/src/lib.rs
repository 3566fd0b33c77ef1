//! Plain data shared by every stage: sources, feed entries, articles.
//!
//! This crate depends on nothing in the workspace and does no I/O, so any stage
//! can use it without pulling in HTTP, SQL or HTML machinery.
#![warn(missing_docs)]

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Database id of a source.
pub type SourceId = i64;
/// Database id of an article.
pub type ArticleId = i64;

/// A feed courant polls, as configured by the operator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewSource {
    /// Feed URL (RSS, Atom, JSON Feed or sitemap).
    pub feed_url: String,
    /// Display name; filled from the feed title when empty.
    pub name: String,
    /// Language hint (ISO 639-1) used when detection is unsure.
    pub lang: Option<String>,
    /// Attribution line the source's license requires, shown under its articles.
    pub attribution: Option<String>,
}

/// A stored source with its polling state and health.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Source {
    /// Database id.
    pub id: SourceId,
    /// Feed URL.
    pub feed_url: String,
    /// Display name.
    pub name: String,
    /// Home page of the site, from the feed.
    pub site_url: Option<String>,
    /// Language hint.
    pub lang: Option<String>,
    /// Attribution line.
    pub attribution: Option<String>,
    /// Health and polling state.
    pub health: SourceHealth,
    /// Number of articles stored for this source.
    pub article_count: i64,
}

/// Polling state of a source: what the last fetch did and when the next one is due.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SourceHealth {
    /// When the feed was last requested.
    pub last_fetch_at: Option<DateTime<Utc>>,
    /// When the feed was last fetched and parsed without error.
    pub last_ok_at: Option<DateTime<Utc>>,
    /// The error of the last poll, if it failed.
    pub last_error: Option<String>,
    /// Failures in a row; drives the backoff.
    pub consecutive_failures: i64,
    /// When the source is due again.
    pub next_poll_at: Option<DateTime<Utc>>,
    /// Validator for conditional GET.
    pub etag: Option<String>,
    /// Validator for conditional GET.
    pub last_modified: Option<String>,
}

impl SourceHealth {
    /// A short word for the state, for lists and badges.
    pub fn status(&self) -> &'static str {
        match (&self.last_error, &self.last_ok_at) {
            (Some(_), _) if self.consecutive_failures > 0 => "failing",
            (_, Some(_)) => "ok",
            _ => "new",
        }
    }
}

/// One item of a parsed feed, before its page is fetched.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FeedEntry {
    /// Stable identity within the feed: the item's id or guid, else its link.
    pub guid: String,
    /// Link to the article page.
    pub url: Option<String>,
    /// Title as plain text.
    pub title: String,
    /// Summary as (unsanitized) HTML or text.
    pub summary: Option<String>,
    /// Full content as (unsanitized) HTML, when the feed carries it.
    pub content: Option<String>,
    /// Author names.
    pub authors: Vec<String>,
    /// Publication time.
    pub published: Option<DateTime<Utc>>,
    /// Last update time.
    pub updated: Option<DateTime<Utc>>,
    /// Language declared by the feed or the item.
    pub lang: Option<String>,
}

/// Processing state of an article.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ArticleStatus {
    /// Known from the feed, page not processed yet.
    Pending,
    /// Processed and shown.
    Ready,
    /// Processing failed for good; the feed text is shown if there was any.
    Failed,
    /// Hidden by an operator: processed, but shown nowhere.
    Hidden,
}

impl ArticleStatus {
    /// Stable name used in storage and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            ArticleStatus::Pending => "pending",
            ArticleStatus::Ready => "ready",
            ArticleStatus::Failed => "failed",
            ArticleStatus::Hidden => "hidden",
        }
    }

    /// Inverse of [`ArticleStatus::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(ArticleStatus::Pending),
            "ready" => Some(ArticleStatus::Ready),
            "failed" => Some(ArticleStatus::Failed),
            "hidden" => Some(ArticleStatus::Hidden),
            _ => None,
        }
    }
}

/// What processing produced for an article page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProcessedArticle {
    /// Final title.
    pub title: String,
    /// Body as plain text, paragraphs separated by blank lines.
    pub text: String,
    /// Body as sanitized HTML.
    pub html: String,
    /// Author names, joined for display.
    pub author: Option<String>,
    /// Publication time.
    pub published: Option<DateTime<Utc>>,
    /// ISO 639-1 language code (or 639-3 where no 639-1 code exists).
    pub lang: Option<String>,
    /// Canonical URL of the page, after redirects.
    pub canonical_url: Option<String>,
    /// Where the body came from: "page" or "feed".
    pub body_origin: String,
    /// Non-fatal problems met while processing.
    pub warnings: Vec<String>,
    /// The body text as extracted, before repairs; `text` is the cleaned one.
    #[serde(default)]
    pub original_text: String,
    /// Defects found in `original_text` (offsets point into it).
    #[serde(default)]
    pub findings: Vec<TextFinding>,
}

/// A defect in an article's text, as the checker reported it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextFinding {
    /// Kind, such as `glued_words` or `caption_credit`.
    pub kind: String,
    /// Byte offset where the span starts in the original text.
    pub start: usize,
    /// Byte offset where the span ends (exclusive).
    pub end: usize,
    /// The span as it stands.
    pub span: String,
    /// 0..1.
    pub confidence: f32,
    /// The replacement, when one is safe; `""` deletes.
    pub repair: Option<String>,
    /// Whether the cleaned text has the repair applied.
    pub applied: bool,
}

/// A stored article.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Article {
    /// Database id.
    pub id: ArticleId,
    /// Source it came from.
    pub source_id: SourceId,
    /// Identity within the source feed.
    pub guid: String,
    /// Original link.
    pub url: Option<String>,
    /// Processing state.
    pub status: ArticleStatus,
    /// When courant first saw it.
    pub discovered_at: DateTime<Utc>,
    /// The feed entry as received.
    pub entry: FeedEntry,
    /// The processed article, once processing ran.
    pub processed: Option<ProcessedArticle>,
    /// Last processing error.
    pub error: Option<String>,
    /// Processing attempts so far (claims).
    pub attempts: i64,
    /// The story it was placed in, once clustered.
    #[serde(default)]
    pub story: Option<StoryId>,
    /// The earlier article this one is a syndicated copy of.
    #[serde(default)]
    pub duplicate_of: Option<ArticleId>,
    /// When the feed last changed the item (title, summary or content) and
    /// it was processed again; `None` while it is as first seen.
    #[serde(default)]
    pub revised_at: Option<DateTime<Utc>>,
    /// How many times that happened.
    #[serde(default)]
    pub revisions: i64,
}

/// Story id: stable for good. A story merged into another keeps its id, which
/// resolves to the survivor.
pub type StoryId = i64;

/// A story: articles on one event, from any number of outlets, over time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Story {
    /// Stable id.
    pub id: StoryId,
    /// Set when this story was merged into another.
    pub merged_into: Option<StoryId>,
    /// Title of the most central member.
    pub title: String,
    /// First sentence of the most central member.
    pub summary: String,
    /// Language of the most central member.
    pub lang: Option<String>,
    /// The most central member.
    pub lead_article: Option<ArticleId>,
    /// Earliest member publication.
    pub first_at: Option<DateTime<Utc>>,
    /// Latest member publication.
    pub last_at: Option<DateTime<Utc>>,
    /// Ready members, copies included.
    pub articles: i64,
    /// Distinct sources among them: the breadth of coverage.
    pub sources: i64,
}

impl Article {
    /// Title to show: processed, else the feed's.
    pub fn title(&self) -> &str {
        match &self.processed {
            Some(p) if !p.title.is_empty() => &p.title,
            _ => &self.entry.title,
        }
    }

    /// Publication time to show and sort by, never later than when courant
    /// first saw the article (a date in 2099 must not pin it to the top).
    pub fn published(&self) -> Option<DateTime<Utc>> {
        let seen = (self.discovered_at.timestamp() > 0).then_some(self.discovered_at);
        self.processed
            .as_ref()
            .and_then(|p| p.published)
            .or(self.entry.published)
            .or(self.entry.updated)
            .map(|d| seen.map_or(d, |s| d.min(s)))
    }

    /// Language to show.
    pub fn lang(&self) -> Option<&str> {
        self.processed
            .as_ref()
            .and_then(|p| p.lang.as_deref())
            .or(self.entry.lang.as_deref())
    }
}

/// Where a machine translation of an article stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TranslationStatus {
    /// Passed the gate: shown in its edition.
    Published,
    /// Failed the gate: kept for the operator, shown to no reader.
    Held,
    /// The engine failed; tried again after `next_attempt`.
    Failed,
}

impl TranslationStatus {
    /// Stable name used in storage and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            TranslationStatus::Published => "published",
            TranslationStatus::Held => "held",
            TranslationStatus::Failed => "failed",
        }
    }

    /// Inverse of [`TranslationStatus::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "published" => Some(TranslationStatus::Published),
            "held" => Some(TranslationStatus::Held),
            "failed" => Some(TranslationStatus::Failed),
            _ => None,
        }
    }
}

/// A machine translation of an article into one language. The article
/// itself is never changed by it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Translation {
    /// The original article.
    pub article: ArticleId,
    /// Its source, for lists.
    pub source_id: SourceId,
    /// The original's publication time, for lists.
    pub published: Option<DateTime<Utc>>,
    /// Target language.
    pub lang: String,
    /// Language of the original.
    pub from: String,
    /// Provider name as configured.
    pub provider: String,
    /// The engine's name as readers see it ("Apertium").
    pub label: String,
    /// Gate outcome, or engine failure.
    pub status: TranslationStatus,
    /// Translated title.
    pub title: String,
    /// Translated body, sanitized HTML.
    pub html: String,
    /// Translated body as plain text, with the safe repairs applied.
    pub text: String,
    /// The body as the engine gave it, before repairs.
    pub engine_text: String,
    /// Why the gate held it back (empty when published).
    pub reasons: Vec<String>,
    /// Defects the text checker found in `engine_text`.
    pub findings: Vec<TextFinding>,
    /// The engine's last error, when it failed.
    pub error: Option<String>,
    /// Engine attempts so far.
    pub attempts: i64,
    /// When a failed translation is tried again.
    pub next_attempt: Option<DateTime<Utc>>,
    /// When this row last changed.
    pub updated_at: DateTime<Utc>,
}

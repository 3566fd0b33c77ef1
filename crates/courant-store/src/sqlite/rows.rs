//! Rows to values: the column lists each query selects and their decoders.

use courant_model::{
    Article, ArticleStatus, FeedEntry, ProcessedArticle, Source, SourceHealth, Story,
};
use rusqlite::Row;

use super::parse_ts;
use crate::{Error, Result};

pub(super) const SOURCE_COLS: &str =
    "s.id, s.feed_url, s.name, s.site_url, s.lang, s.attribution, s.last_fetch_at, s.last_ok_at, \
     s.last_error, s.consecutive_failures, s.next_poll_at, s.etag, s.last_modified, \
     (SELECT COUNT(*) FROM articles a WHERE a.source_id = s.id AND a.status = 'ready')";

pub(super) fn source_row(r: &Row<'_>) -> rusqlite::Result<Source> {
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

pub(super) const ARTICLE_COLS: &str =
    "id, source_id, guid, url, status, discovered_at, entry_json, \
     processed_json, error, attempts, story_id, duplicate_of, revised_at, revisions";

/// The same columns for lists: the entry and the processed article carry only
/// what a list shows (title, language, dates), picked out by SQLite, so a
/// page of summaries never decodes full texts.
pub(super) const ARTICLE_COLS_BRIEF: &str = "id, source_id, guid, url, status, discovered_at, \
     json_object('guid', guid, 'url', url, \
       'title', COALESCE(json_extract(entry_json, '$.title'), ''), \
       'published', json_extract(entry_json, '$.published'), \
       'updated', json_extract(entry_json, '$.updated'), \
       'lang', json_extract(entry_json, '$.lang')), \
     CASE WHEN processed_json IS NULL THEN NULL ELSE json_object( \
       'title', COALESCE(json_extract(processed_json, '$.title'), ''), \
       'published', json_extract(processed_json, '$.published'), \
       'lang', json_extract(processed_json, '$.lang')) END, \
     error, attempts, story_id, duplicate_of, revised_at, revisions";

/// Raw row; JSON is decoded outside the rusqlite closure so errors keep their meaning.
pub(super) struct ArticleRow {
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
    revised_at: Option<String>,
    revisions: i64,
}

pub(super) fn article_row(r: &Row<'_>) -> rusqlite::Result<ArticleRow> {
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
        revised_at: r.get(12)?,
        revisions: r.get(13)?,
    })
}

impl ArticleRow {
    pub(super) fn decode(self) -> Result<Article> {
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
            revised_at: parse_ts(self.revised_at),
            revisions: self.revisions,
        })
    }
}

pub(super) const STORY_COLS: &str =
    "id, merged_into, title, summary, lang, lead_article, first_at, last_at, \
     articles, sources, updated_at";

pub(super) fn story_row(r: &Row<'_>) -> rusqlite::Result<Story> {
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

pub(super) fn collect_articles(rows: Vec<ArticleRow>) -> Result<Vec<Article>> {
    rows.into_iter().map(ArticleRow::decode).collect()
}

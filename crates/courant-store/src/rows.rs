//! Rows to values, for both backends: the column lists each query selects
//! and one decoder per row shape, over [`Cols`], which each driver's row
//! implements. The columns and their order are the same in both schemas.

use courant_model::{
    Article, ArticleStatus, FeedEntry, ProcessedArticle, Source, SourceHealth, Story, Translation,
    TranslationStatus,
};

use crate::{Error, Result};

/// Typed reads by column index, the little the decoders need of a driver's row.
pub(crate) trait Cols {
    /// The driver's error.
    type E;
    fn i64(&self, i: usize) -> std::result::Result<i64, Self::E>;
    fn opt_i64(&self, i: usize) -> std::result::Result<Option<i64>, Self::E>;
    fn text(&self, i: usize) -> std::result::Result<String, Self::E>;
    fn opt_text(&self, i: usize) -> std::result::Result<Option<String>, Self::E>;
}

impl Cols for rusqlite::Row<'_> {
    type E = rusqlite::Error;
    fn i64(&self, i: usize) -> rusqlite::Result<i64> {
        self.get(i)
    }
    fn opt_i64(&self, i: usize) -> rusqlite::Result<Option<i64>> {
        self.get(i)
    }
    fn text(&self, i: usize) -> rusqlite::Result<String> {
        self.get(i)
    }
    fn opt_text(&self, i: usize) -> rusqlite::Result<Option<String>> {
        self.get(i)
    }
}

impl Cols for postgres::Row {
    type E = postgres::Error;
    fn i64(&self, i: usize) -> std::result::Result<i64, postgres::Error> {
        self.try_get(i)
    }
    fn opt_i64(&self, i: usize) -> std::result::Result<Option<i64>, postgres::Error> {
        self.try_get(i)
    }
    fn text(&self, i: usize) -> std::result::Result<String, postgres::Error> {
        self.try_get(i)
    }
    fn opt_text(&self, i: usize) -> std::result::Result<Option<String>, postgres::Error> {
        self.try_get(i)
    }
}

/// Fixed-width UTC timestamps sort correctly as text, in SQLite and in
/// PostgreSQL's "C" collation alike.
pub(crate) fn ts(d: chrono::DateTime<chrono::Utc>) -> String {
    d.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

pub(crate) fn parse_ts(s: Option<String>) -> Option<chrono::DateTime<chrono::Utc>> {
    s.and_then(|s| chrono::DateTime::parse_from_rfc3339(&s).ok())
        .map(|d| d.with_timezone(&chrono::Utc))
}

pub(crate) fn json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| Error::Corrupt(e.to_string()))
}

pub(crate) const SOURCE_COLS: &str =
    "s.id, s.feed_url, s.name, s.site_url, s.lang, s.attribution, s.last_fetch_at, s.last_ok_at, \
     s.last_error, s.consecutive_failures, s.next_poll_at, s.etag, s.last_modified, \
     (SELECT COUNT(*) FROM articles a WHERE a.source_id = s.id AND a.status = 'ready')";

pub(crate) fn source_row<R: Cols>(r: &R) -> std::result::Result<Source, R::E> {
    Ok(Source {
        id: r.i64(0)?,
        feed_url: r.text(1)?,
        name: r.text(2)?,
        site_url: r.opt_text(3)?,
        lang: r.opt_text(4)?,
        attribution: r.opt_text(5)?,
        health: SourceHealth {
            last_fetch_at: parse_ts(r.opt_text(6)?),
            last_ok_at: parse_ts(r.opt_text(7)?),
            last_error: r.opt_text(8)?,
            consecutive_failures: r.i64(9)?,
            next_poll_at: parse_ts(r.opt_text(10)?),
            etag: r.opt_text(11)?,
            last_modified: r.opt_text(12)?,
        },
        article_count: r.i64(13)?,
    })
}

pub(crate) const ARTICLE_COLS: &str =
    "id, source_id, guid, url, status, discovered_at, entry_json, \
     processed_json, error, attempts, story_id, duplicate_of, revised_at, revisions";

/// How many columns [`ARTICLE_COLS`] selects: a query may select more after them.
pub(crate) const ARTICLE_NCOLS: usize = 14;

/// [`ARTICLE_COLS`] qualified by a table alias, for joins.
pub(crate) fn article_cols_of(alias: &str) -> String {
    ARTICLE_COLS
        .split(", ")
        .map(|col| format!("{alias}.{}", col.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Raw row; JSON is decoded outside the driver's closure so errors keep their meaning.
pub(crate) struct ArticleRow {
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

pub(crate) fn article_row<R: Cols>(r: &R) -> std::result::Result<ArticleRow, R::E> {
    Ok(ArticleRow {
        id: r.i64(0)?,
        source_id: r.i64(1)?,
        guid: r.text(2)?,
        url: r.opt_text(3)?,
        status: r.text(4)?,
        discovered_at: r.opt_text(5)?,
        entry_json: r.text(6)?,
        processed_json: r.opt_text(7)?,
        error: r.opt_text(8)?,
        attempts: r.i64(9)?,
        story: r.opt_i64(10)?,
        duplicate_of: r.opt_i64(11)?,
        revised_at: r.opt_text(12)?,
        revisions: r.i64(13)?,
    })
}

impl ArticleRow {
    pub(crate) fn decode(self) -> Result<Article> {
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

pub(crate) const STORY_COLS: &str =
    "id, merged_into, title, summary, lang, lead_article, first_at, last_at, \
     articles, sources, updated_at";

/// [`STORY_COLS`] qualified by a table alias, for joins.
pub(crate) fn story_cols_of(alias: &str) -> String {
    STORY_COLS
        .split(", ")
        .map(|col| format!("{alias}.{}", col.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn story_row<R: Cols>(r: &R) -> std::result::Result<Story, R::E> {
    Ok(Story {
        id: r.i64(0)?,
        merged_into: r.opt_i64(1)?,
        title: r.text(2)?,
        summary: r.text(3)?,
        lang: r.opt_text(4)?,
        lead_article: r.opt_i64(5)?,
        first_at: parse_ts(r.opt_text(6)?),
        last_at: parse_ts(r.opt_text(7)?),
        articles: r.i64(8)?,
        sources: r.i64(9)?,
    })
}

/// A translation row: the columns of `translations` joined to its article
/// (source, publication), in the order both backends select them.
pub(crate) struct TranslationRow {
    t: Translation,
    status: String,
    reasons: String,
    findings: String,
}

pub(crate) fn translation_row<R: Cols>(r: &R) -> std::result::Result<TranslationRow, R::E> {
    Ok(TranslationRow {
        t: Translation {
            article: r.i64(0)?,
            source_id: r.i64(1)?,
            published: parse_ts(r.opt_text(2)?),
            lang: r.text(3)?,
            from: r.text(4)?,
            provider: r.text(5)?,
            label: r.text(6)?,
            status: TranslationStatus::Held,
            title: r.text(8)?,
            html: r.text(9)?,
            text: r.text(10)?,
            engine_text: r.text(11)?,
            reasons: Vec::new(),
            findings: Vec::new(),
            error: r.opt_text(14)?,
            attempts: r.i64(15)?,
            next_attempt: parse_ts(r.opt_text(16)?),
            updated_at: parse_ts(r.opt_text(17)?).unwrap_or_default(),
        },
        status: r.text(7)?,
        reasons: r.text(12)?,
        findings: r.text(13)?,
    })
}

impl TranslationRow {
    pub(crate) fn decode(self) -> Result<Translation> {
        let mut t = self.t;
        t.status = TranslationStatus::parse(&self.status)
            .ok_or_else(|| Error::Corrupt(format!("translation status {:?}", self.status)))?;
        t.reasons =
            serde_json::from_str(&self.reasons).map_err(|e| Error::Corrupt(e.to_string()))?;
        t.findings =
            serde_json::from_str(&self.findings).map_err(|e| Error::Corrupt(e.to_string()))?;
        Ok(t)
    }
}

/// Placed articles from rows of (placement number, article).
pub(crate) fn placed(rows: Vec<(i64, ArticleRow)>) -> Result<Vec<crate::Placed>> {
    rows.into_iter()
        .map(|(seq, row)| {
            Ok(crate::Placed {
                seq,
                article: row.decode()?,
            })
        })
        .collect()
}

pub(crate) fn collect_articles(rows: Vec<ArticleRow>) -> Result<Vec<Article>> {
    rows.into_iter().map(ArticleRow::decode).collect()
}

/// The host of a feed URL, lowercased, without user or port: the unit of
/// politeness that workers share through the store.
pub(crate) fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if host.starts_with('[') {
        host.split_inclusive(']').next().unwrap_or(host)
    } else {
        host.split(':').next().unwrap_or(host)
    };
    host.to_ascii_lowercase()
}

/// Due sources `(id, feed URL)` in order, at most one per host, each kept
/// only when `take_turn` gets its host's turn; up to `limit` ids.
pub(crate) fn pick_by_host(
    due: Vec<(i64, String)>,
    limit: usize,
    mut take_turn: impl FnMut(&str) -> Result<bool>,
) -> Result<Vec<i64>> {
    let mut hosts = std::collections::HashSet::new();
    let mut picked = Vec::new();
    for (id, url) in due {
        if picked.len() >= limit {
            break;
        }
        let host = host_of(&url);
        if hosts.insert(host.clone()) && take_turn(&host)? {
            picked.push(id);
        }
    }
    Ok(picked)
}

#[cfg(test)]
mod tests {
    #[test]
    fn hosts_are_cut_from_urls() {
        for (url, host) in [
            ("https://Ex.org/feed", "ex.org"),
            ("http://user:pw@ex.org:8080/a?b#c", "ex.org"),
            ("http://[::1]:8080/feed", "[::1]"),
            ("http://127.0.0.1:9/x", "127.0.0.1"),
            ("ex.org/feed", "ex.org"),
        ] {
            assert_eq!(super::host_of(url), host, "{url}");
        }
    }
}

//! The shared decoders (`crate::rows`) at rusqlite's signature, and the
//! brief column list in SQLite's JSON functions.

use courant_model::{Source, Story};
use rusqlite::Row;

pub(super) use crate::rows::story_cols_of;
pub(super) use crate::rows::{
    article_cols_of, collect_articles, pick_by_host, ArticleRow, ARTICLE_COLS, ARTICLE_NCOLS,
    SOURCE_COLS, STORY_COLS,
};

pub(super) fn source_row(r: &Row<'_>) -> rusqlite::Result<Source> {
    crate::rows::source_row(r)
}

pub(super) fn article_row(r: &Row<'_>) -> rusqlite::Result<ArticleRow> {
    crate::rows::article_row(r)
}

pub(super) fn story_row(r: &Row<'_>) -> rusqlite::Result<Story> {
    crate::rows::story_row(r)
}

/// The columns for lists: the entry and the processed article carry only
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

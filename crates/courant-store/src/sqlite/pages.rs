//! Page checks: what a processed page looked like, and when to look again.

use chrono::{DateTime, Utc};
use courant_model::{Article, ArticleId};
use rusqlite::{params, OptionalExtension as _};

use crate::{PageState, Result};

use super::rows::{article_cols_of, article_row, ArticleRow, ARTICLE_NCOLS};
use super::{parse_ts, ts, SqliteStore};

pub(super) fn record_page(store: &SqliteStore, id: ArticleId, page: &PageState) -> Result<()> {
    store.write().execute(
        "INSERT INTO page_checks (article_id, etag, last_modified, text_hash, next_check)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (article_id) DO UPDATE SET etag = excluded.etag,
           last_modified = excluded.last_modified, text_hash = excluded.text_hash,
           next_check = excluded.next_check",
        params![
            id,
            page.etag,
            page.last_modified,
            page.text_hash,
            page.next_check.map(ts)
        ],
    )?;
    Ok(())
}

/// Claims due checks of shown articles: each claimed check's next look moves
/// `lease_secs` ahead, so a second caller does not take it meanwhile.
pub(super) fn claim_page_checks(
    store: &SqliteStore,
    now: DateTime<Utc>,
    lease_secs: i64,
    limit: usize,
) -> Result<Vec<(Article, PageState)>> {
    let mut c = store.write();
    let tx = c.transaction()?;
    let cols = article_cols_of("a");
    let due: Vec<(ArticleRow, PageState)> = {
        let mut st = tx.prepare_cached(&format!(
            "SELECT {cols}, p.etag, p.last_modified, p.text_hash, p.next_check
             FROM page_checks p JOIN articles a ON a.id = p.article_id
             WHERE p.next_check IS NOT NULL AND p.next_check <= ?1 AND a.status = 'ready'
             ORDER BY p.next_check LIMIT ?2"
        ))?;
        let n = ARTICLE_NCOLS;
        let rows = st.query_map(params![ts(now), limit as i64], |r| {
            Ok((
                article_row(r)?,
                PageState {
                    etag: r.get(n)?,
                    last_modified: r.get(n + 1)?,
                    text_hash: r.get(n + 2)?,
                    next_check: parse_ts(r.get(n + 3)?),
                },
            ))
        })?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let due = due
        .into_iter()
        .map(|(row, page)| Ok((row.decode()?, page)))
        .collect::<Result<Vec<_>>>()?;
    let until = ts(now + chrono::Duration::seconds(lease_secs));
    for (a, _) in &due {
        tx.execute(
            "UPDATE page_checks SET next_check = ?2 WHERE article_id = ?1",
            params![a.id, until],
        )?;
    }
    tx.commit()?;
    Ok(due)
}

/// A shown article whose page changed is processed again, as a revision.
pub(super) fn page_changed(store: &SqliteStore, id: ArticleId, now: DateTime<Utc>) -> Result<bool> {
    let changed = store
        .write()
        .query_row(
            "UPDATE articles SET status = 'pending', not_before = NULL, attempts = 0, error = NULL,
               revised_at = ?2, revisions = revisions + 1
             WHERE id = ?1 AND status = 'ready' RETURNING id",
            params![id, ts(now)],
            |r| r.get::<_, i64>(0),
        )
        .optional()?;
    Ok(changed.is_some())
}

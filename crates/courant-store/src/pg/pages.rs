//! Page checks and WebSub subscriptions.

use chrono::{DateTime, Utc};
use courant_model::{Article, ArticleId, SourceId};

use crate::rows::{article_cols_of, article_row, parse_ts, ts, ARTICLE_NCOLS};
use crate::{PageState, Result, WebSub};

use super::PgStore;

pub(super) fn record_page(store: &PgStore, id: ArticleId, page: &PageState) -> Result<()> {
    store.with(|c| {
        c.execute(
            "INSERT INTO page_checks (article_id, etag, last_modified, text_hash, next_check)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (article_id) DO UPDATE SET etag = excluded.etag,
               last_modified = excluded.last_modified, text_hash = excluded.text_hash,
               next_check = excluded.next_check",
            &[
                &id,
                &page.etag,
                &page.last_modified,
                &page.text_hash,
                &page.next_check.map(ts),
            ],
        )?;
        Ok(())
    })
}

/// Claims due checks, passing over those another worker is claiming.
pub(super) fn claim_page_checks(
    store: &PgStore,
    now: DateTime<Utc>,
    lease_secs: i64,
    limit: usize,
) -> Result<Vec<(Article, PageState)>> {
    let cols = article_cols_of("a");
    let until = ts(now + chrono::Duration::seconds(lease_secs));
    let n = ARTICLE_NCOLS;
    let due = store.with(|c| {
        let mut tx = c.transaction()?;
        let rows = tx.query(
            &format!(
                "SELECT {cols}, p.etag, p.last_modified, p.text_hash, p.next_check
                 FROM page_checks p JOIN articles a ON a.id = p.article_id
                 WHERE p.next_check IS NOT NULL AND p.next_check <= $1 AND a.status = 'ready'
                 ORDER BY p.next_check LIMIT $2 FOR UPDATE OF p SKIP LOCKED"
            ),
            &[&ts(now), &(limit as i64)],
        )?;
        let due = rows
            .iter()
            .map(|r| {
                Ok((
                    article_row(r)?,
                    PageState {
                        etag: r.try_get(n)?,
                        last_modified: r.try_get(n + 1)?,
                        text_hash: r.try_get(n + 2)?,
                        next_check: parse_ts(r.try_get(n + 3)?),
                    },
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        let ids: Vec<i64> = rows
            .iter()
            .map(|r| r.try_get(0))
            .collect::<std::result::Result<_, _>>()?;
        tx.execute(
            "UPDATE page_checks SET next_check = $2 WHERE article_id = ANY($1)",
            &[&ids, &until],
        )?;
        tx.commit()?;
        Ok(due)
    })?;
    due.into_iter()
        .map(|(row, page)| Ok((row.decode()?, page)))
        .collect()
}

pub(super) fn page_changed(store: &PgStore, id: ArticleId, now: DateTime<Utc>) -> Result<bool> {
    store.with(|c| {
        let n = c.execute(
            "UPDATE articles SET status = 'pending', not_before = NULL, attempts = 0, error = NULL,
               revised_at = $2, revisions = revisions + 1
             WHERE id = $1 AND status = 'ready'",
            &[&id, &ts(now)],
        )?;
        Ok(n > 0)
    })
}

pub(super) fn put_websub(store: &PgStore, w: &WebSub) -> Result<()> {
    store.with(|c| {
        c.execute(
            "INSERT INTO websub (source_id, hub, topic, secret, requested_at, lease_until)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (source_id) DO UPDATE SET hub = excluded.hub, topic = excluded.topic,
               secret = excluded.secret, requested_at = excluded.requested_at,
               lease_until = excluded.lease_until",
            &[
                &w.source_id,
                &w.hub,
                &w.topic,
                &w.secret,
                &ts(w.requested_at),
                &w.lease_until.map(ts),
            ],
        )?;
        Ok(())
    })
}

pub(super) fn websub(store: &PgStore, source: SourceId) -> Result<Option<WebSub>> {
    store.with(|c| {
        c.query_opt(
            "SELECT source_id, hub, topic, secret, requested_at, lease_until FROM websub
             WHERE source_id = $1",
            &[&source],
        )?
        .map(|r| {
            Ok(WebSub {
                source_id: r.try_get(0)?,
                hub: r.try_get(1)?,
                topic: r.try_get(2)?,
                secret: r.try_get(3)?,
                requested_at: parse_ts(r.try_get(4)?).unwrap_or_default(),
                lease_until: parse_ts(r.try_get(5)?),
            })
        })
        .transpose()
    })
}

pub(super) fn websub_verified(
    store: &PgStore,
    source: SourceId,
    until: Option<DateTime<Utc>>,
) -> Result<bool> {
    store.with(|c| {
        let n = c.execute(
            "UPDATE websub SET lease_until = $2 WHERE source_id = $1",
            &[&source, &until.map(ts)],
        )?;
        Ok(n > 0)
    })
}

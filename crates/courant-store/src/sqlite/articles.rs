//! Articles: entries in, claims and outcomes, reads and counts.

use chrono::{DateTime, Utc};
use courant_model::{Article, ArticleId, FeedEntry, SourceId};
use rusqlite::{params, OptionalExtension};

use crate::{ArticleOutcome, ArticleQuery, Counts, Group, Result};

use super::rows::{article_row, collect_articles, ArticleRow, ARTICLE_COLS, ARTICLE_COLS_BRIEF};
use super::stories::refresh_story;
use super::{json, parse_ts, push_lang, ts, SqliteStore};

/// Stores new entries and returns how many were new. An entry already
/// stored whose title, summary or content changed (a correction) is made
/// pending again, to be processed anew: its first-seen time, its story and
/// its publication date stay, `revised_at` and `revisions` record the change.
/// A hidden article, or one still pending, is left as it is.
pub(super) fn insert_entries(
    store: &SqliteStore,
    source: SourceId,
    entries: &[FeedEntry],
    now: DateTime<Utc>,
) -> Result<usize> {
    let mut c = store.write();
    let tx = c.transaction()?;
    let mut new = 0;
    {
        let mut st = tx.prepare_cached(
            "INSERT INTO articles (source_id, guid, url, status, discovered_at, entry_json, published_at, lang)
             VALUES (?1, ?2, ?3, 'pending', ?4, ?5, ?6, ?7)
             ON CONFLICT (source_id, guid) DO UPDATE SET
               entry_json = excluded.entry_json, status = 'pending', not_before = NULL,
               attempts = 0, error = NULL, revised_at = excluded.discovered_at,
               revisions = articles.revisions + 1
             WHERE articles.status IN ('ready', 'failed')
               AND (json_extract(articles.entry_json, '$.title') IS NOT json_extract(excluded.entry_json, '$.title')
                 OR json_extract(articles.entry_json, '$.summary') IS NOT json_extract(excluded.entry_json, '$.summary')
                 OR json_extract(articles.entry_json, '$.content') IS NOT json_extract(excluded.entry_json, '$.content'))
             RETURNING revisions",
        )?;
        for e in entries {
            // A date after first sight is a feed's bug or a ploy to stay on top.
            let published = e.published.or(e.updated).unwrap_or(now).min(now);
            let changed: Option<i64> = st
                .query_row(
                    params![
                        source,
                        e.guid,
                        e.url,
                        ts(now),
                        json(e)?,
                        ts(published),
                        e.lang
                    ],
                    |r| r.get(0),
                )
                .optional()?;
            // Revisions come back too, with their count; only new ones count.
            if changed == Some(0) {
                new += 1;
            }
        }
    }
    tx.commit()?;
    Ok(new)
}

pub(super) fn claim_pending(
    store: &SqliteStore,
    now: DateTime<Utc>,
    lease_secs: i64,
    limit: usize,
) -> Result<Vec<Article>> {
    let c = store.write();
    let until = ts(now + chrono::Duration::seconds(lease_secs));
    let ids = fair_pick(store, &c, &ts(now), limit)?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    // Claimed and read back in one statement, under the one writer: two
    // workers never share an article.
    let marks = vec!["?"; ids.len()].join(",");
    let mut st = c.prepare(&format!(
        "UPDATE articles SET not_before = ?, attempts = attempts + 1
         WHERE id IN ({marks}) RETURNING {ARTICLE_COLS}"
    ))?;
    let args = std::iter::once(rusqlite::types::Value::Text(until))
        .chain(ids.into_iter().map(rusqlite::types::Value::Integer));
    let rows = st
        .query_map(rusqlite::params_from_iter(args), article_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut claimed = collect_articles(rows)?;
    // RETURNING has no order; hand out the newest first.
    claimed.sort_by(|a, b| b.published().cmp(&a.published()).then(b.id.cmp(&a.id)));
    Ok(claimed)
}

/// Up to `limit` claimable articles, shared across the sources that have
/// any: an equal share each, newest first within a source, going round the
/// sources from the one after the last served, then the rest newest first.
/// So one source's backlog of 50,000 never holds another's five back.
fn fair_pick(
    store: &SqliteStore,
    c: &rusqlite::Connection,
    now: &str,
    limit: usize,
) -> Result<Vec<i64>> {
    use std::sync::atomic::Ordering;
    const CLAIMABLE: &str = "status = 'pending' AND (not_before IS NULL OR not_before <= ?1)";
    let cursor = store.claim_cursor.load(Ordering::Relaxed);
    let sources: Vec<i64> = c
        .prepare_cached(&format!(
            "SELECT id FROM sources s
             WHERE EXISTS (SELECT 1 FROM articles WHERE source_id = s.id AND {CLAIMABLE})
             ORDER BY id <= ?2, id"
        ))?
        .query_map(params![now, cursor], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    if sources.is_empty() || limit == 0 {
        return Ok(Vec::new());
    }
    let share = limit.div_ceil(sources.len());
    let mut per_source = c.prepare_cached(&format!(
        "SELECT id FROM articles WHERE source_id = ?2 AND {CLAIMABLE}
         ORDER BY published_at DESC, id DESC LIMIT ?3"
    ))?;
    let mut ids = Vec::with_capacity(limit);
    for src in &sources {
        if ids.len() >= limit {
            break;
        }
        let take = share.min(limit - ids.len());
        let got = per_source
            .query_map(params![now, src, take as i64], |r| r.get::<_, i64>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        ids.extend(got);
        store.claim_cursor.store(*src, Ordering::Relaxed);
    }
    if ids.len() < limit {
        let picked: std::collections::HashSet<i64> = ids.iter().copied().collect();
        let mut newest = c.prepare_cached(&format!(
            "SELECT id FROM articles WHERE {CLAIMABLE} ORDER BY published_at DESC LIMIT ?2"
        ))?;
        let more = newest
            .query_map(params![now, limit as i64 * 2], |r| r.get::<_, i64>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let missing = limit - ids.len();
        ids.extend(
            more.into_iter()
                .filter(|id| !picked.contains(id))
                .take(missing),
        );
    }
    Ok(ids)
}

/// Stores an outcome. With `fence`, only while that claim (its `attempts`)
/// is still the article's latest and the article still pending; returns
/// whether it was stored.
pub(super) fn finish_article(
    store: &SqliteStore,
    id: ArticleId,
    fence: Option<i64>,
    outcome: &ArticleOutcome,
) -> Result<bool> {
    let mut c = store.write();
    let held = match fence {
        Some(attempt) => format!(" AND attempts = {attempt} AND status = 'pending'"),
        None => String::new(),
    };
    let changed = match outcome {
        ArticleOutcome::Ready(p) => {
            let published = p.published.map(ts);
            let tx = c.transaction()?;
            // A revised article that keeps its story is placed again, later
            // in the log, so the search index and a new worker read its new
            // text; its story's title and summary follow.
            let placed: Option<(Option<i64>, i64)> = tx
                .query_row(
                    &format!(
                        "UPDATE articles SET status = 'ready', processed_json = ?2, error = NULL, not_before = NULL,
                           published_at = MIN(COALESCE(?3, published_at), discovered_at), lang = ?4, url = COALESCE(url, ?5),
                           cluster_seq = CASE WHEN revisions > 0 AND story_id IS NOT NULL
                             THEN (SELECT COALESCE(MAX(cluster_seq), 0) + 1 FROM articles) ELSE cluster_seq END
                         WHERE id = ?1{held} RETURNING story_id, revisions"
                    ),
                    params![id, json(p)?, published, p.lang, p.canonical_url],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            if let Some((Some(story), revisions)) = placed {
                if revisions > 0 {
                    refresh_story(&tx, story, chrono::Utc::now())?;
                }
            }
            tx.commit()?;
            usize::from(placed.is_some())
        }
        ArticleOutcome::Retry { error, not_before } => c.execute(
            &format!("UPDATE articles SET error = ?2, not_before = ?3 WHERE id = ?1{held}"),
            params![id, error, ts(*not_before)],
        )?,
        ArticleOutcome::Failed { error } => c.execute(
            &format!(
                "UPDATE articles SET status = 'failed', error = ?2, not_before = NULL WHERE id = ?1{held}"
            ),
            params![id, error],
        )?,
    };
    Ok(changed > 0)
}

/// Extends claim `attempt` on article `id` to `until`, while it is still
/// the latest claim.
pub(super) fn renew_claim(
    store: &SqliteStore,
    id: ArticleId,
    attempt: i64,
    until: DateTime<Utc>,
) -> Result<bool> {
    let n = store.write().execute(
        "UPDATE articles SET not_before = ?3 WHERE id = ?1 AND attempts = ?2 AND status = 'pending'",
        params![id, attempt, ts(until)],
    )?;
    Ok(n > 0)
}

pub(super) fn articles(store: &SqliteStore, q: &ArticleQuery) -> Result<Vec<Article>> {
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
    push_lang(&mut sql, &mut args, q.lang.as_deref());
    let limit = q.limit.clamp(1, 500) as i64;
    sql.push_str(&format!(
        " ORDER BY published_at DESC, id DESC LIMIT {limit} OFFSET {}",
        q.offset as i64
    ));
    let c = store.read();
    let mut st = c.prepare_cached(&sql)?;
    let rows = st
        .query_map(rusqlite::params_from_iter(args), article_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    drop(st);
    drop(c);
    collect_articles(rows)
}

pub(super) fn article(store: &SqliteStore, id: ArticleId) -> Result<Option<Article>> {
    let c = store.read();
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

pub(super) fn set_hidden(store: &SqliteStore, id: ArticleId, hidden: bool) -> Result<bool> {
    let (from, to) = if hidden {
        ("ready", "hidden")
    } else {
        ("hidden", "ready")
    };
    let mut c = store.write();
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

pub(super) fn counts(store: &SqliteStore) -> Result<Counts> {
    let c = store.read();
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

pub(super) fn groups(store: &SqliteStore) -> Result<Vec<Group>> {
    let c = store.read();
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

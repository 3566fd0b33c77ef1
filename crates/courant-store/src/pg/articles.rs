//! Articles: entries in, claims and outcomes, reads and counts.

use std::sync::atomic::Ordering;

use chrono::{DateTime, Utc};
use courant_model::{Article, ArticleId, FeedEntry, SourceId};

use crate::rows::{article_row, collect_articles, json, parse_ts, ts, ARTICLE_COLS};
use crate::{ArticleOutcome, ArticleQuery, Counts, Group, Result};

use super::stories::{next_seq, refresh_story};
use super::{push_lang, refs, Args, PgStore};

/// The columns of a list: the entry and the processed article carry only
/// what a list shows (title, language, dates), picked out by the server.
pub(super) const ARTICLE_COLS_BRIEF: &str = "id, source_id, guid, url, status, discovered_at, \
     json_build_object('guid', guid, 'url', url, \
       'title', COALESCE(entry_json::json->>'title', ''), \
       'published', entry_json::json->'published', \
       'updated', entry_json::json->'updated', \
       'lang', entry_json::json->'lang')::text, \
     CASE WHEN processed_json IS NULL THEN NULL ELSE json_build_object( \
       'title', COALESCE(processed_json::json->>'title', ''), \
       'published', processed_json::json->'published', \
       'lang', processed_json::json->'lang')::text END, \
     error, attempts, story_id, duplicate_of, revised_at, revisions";

/// Pending, and free of any claim at `$1`.
const CLAIMABLE: &str = "status = 'pending' AND (not_before IS NULL OR not_before <= $1)";
/// The same for a table aliased `a` (the alias written before it).
const CLAIMABLE_A: &str = "status = 'pending' AND (a.not_before IS NULL OR a.not_before <= $1)";

/// Stores new entries; a stored one whose title, summary or content changed
/// is made pending again, as a revision (see the SQLite backend).
pub(super) fn insert_entries(
    store: &PgStore,
    source: SourceId,
    entries: &[FeedEntry],
    now: DateTime<Utc>,
) -> Result<usize> {
    store.with(|c| {
        let mut tx = c.transaction()?;
        let st = tx.prepare(
            "INSERT INTO articles (source_id, guid, url, status, discovered_at, entry_json, published_at, lang)
             VALUES ($1, $2, $3, 'pending', $4, $5, $6, $7)
             ON CONFLICT (source_id, guid) DO UPDATE SET
               entry_json = excluded.entry_json, status = 'pending', not_before = NULL,
               attempts = 0, error = NULL, revised_at = excluded.discovered_at,
               revisions = articles.revisions + 1
             WHERE articles.status IN ('ready', 'failed')
               AND ((articles.entry_json::json->>'title') IS DISTINCT FROM (excluded.entry_json::json->>'title')
                 OR (articles.entry_json::json->>'summary') IS DISTINCT FROM (excluded.entry_json::json->>'summary')
                 OR (articles.entry_json::json->>'content') IS DISTINCT FROM (excluded.entry_json::json->>'content'))
             RETURNING revisions",
        )?;
        let mut new = 0;
        for e in entries {
            let published = e.published.or(e.updated).unwrap_or(now).min(now);
            let row = tx.query_opt(
                &st,
                &[&source, &e.guid, &e.url, &ts(now), &json(e)?, &ts(published), &e.lang],
            )?;
            if row.map(|r| r.try_get::<_, i64>(0)).transpose()? == Some(0) {
                new += 1;
            }
        }
        tx.commit()?;
        Ok(new)
    })
}

/// Claims with `FOR UPDATE SKIP LOCKED`: rows another worker is claiming
/// are passed over, never waited for, so two workers never share one.
pub(super) fn claim_pending(
    store: &PgStore,
    now: DateTime<Utc>,
    lease_secs: i64,
    limit: usize,
) -> Result<Vec<Article>> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    let until = ts(now + chrono::Duration::seconds(lease_secs));
    let now = ts(now);
    let cursor = store.claim_cursor.load(Ordering::Relaxed);
    store.with(|c| {
        let mut tx = c.transaction()?;
        // An equal share for each source with work, going round from the
        // one after the last served. The sources are read in id order from
        // the cursor and the walk stops at `limit` of them: a claim costs
        // the same with 90,000 articles pending as with 90.
        let with_work = |from_start: bool| {
            format!(
                "SELECT s.id FROM sources s WHERE s.id {} $2 AND EXISTS (
                   SELECT 1 FROM articles a WHERE a.source_id = s.id AND a.{CLAIMABLE_A})
                 ORDER BY s.id LIMIT $3",
                if from_start { "<=" } else { ">" }
            )
        };
        let mut sources: Vec<i64> = tx
            .query(&with_work(false), &[&now, &cursor, &(limit as i64)])?
            .iter()
            .map(|r| r.try_get(0))
            .collect::<std::result::Result<_, _>>()?;
        if sources.len() < limit {
            let rest = (limit - sources.len()) as i64;
            for r in tx.query(&with_work(true), &[&now, &cursor, &rest])? {
                sources.push(r.try_get(0)?);
            }
        }
        if sources.is_empty() {
            return Ok(Vec::new());
        }
        let share = limit.div_ceil(sources.len());
        let per_source = tx.prepare(&format!(
            "SELECT id FROM articles WHERE source_id = $2 AND {CLAIMABLE}
             ORDER BY published_at DESC, id DESC LIMIT $3 FOR UPDATE SKIP LOCKED"
        ))?;
        let mut ids: Vec<i64> = Vec::with_capacity(limit);
        for src in &sources {
            if ids.len() >= limit {
                break;
            }
            let take = share.min(limit - ids.len()) as i64;
            ids.extend(
                tx.query(&per_source, &[&now, src, &take])?
                    .iter()
                    .map(|r| r.try_get::<_, i64>(0))
                    .collect::<std::result::Result<Vec<_>, _>>()?,
            );
            store.claim_cursor.store(*src, Ordering::Relaxed);
        }
        if ids.len() < limit {
            let more: Vec<i64> = tx
                .query(
                    &format!(
                        "SELECT id FROM articles WHERE {CLAIMABLE} AND NOT (id = ANY($2))
                         ORDER BY published_at DESC LIMIT $3 FOR UPDATE SKIP LOCKED"
                    ),
                    &[&now, &ids, &((limit - ids.len()) as i64)],
                )?
                .iter()
                .map(|r| r.try_get(0))
                .collect::<std::result::Result<_, _>>()?;
            ids.extend(more);
        }
        let rows = tx.query(
            &format!(
                "UPDATE articles SET not_before = $1, attempts = attempts + 1
                 WHERE id = ANY($2) RETURNING {ARTICLE_COLS}"
            ),
            &[&until, &ids],
        )?;
        let rows = rows
            .iter()
            .map(article_row)
            .collect::<std::result::Result<Vec<_>, _>>()?;
        tx.commit()?;
        let mut claimed = collect_articles(rows)?;
        claimed.sort_by(|a, b| b.published().cmp(&a.published()).then(b.id.cmp(&a.id)));
        Ok(claimed)
    })
}

/// Stores an outcome; with `fence`, only while that claim is the latest.
pub(super) fn finish_article(
    store: &PgStore,
    id: ArticleId,
    fence: Option<i64>,
    outcome: &ArticleOutcome,
) -> Result<bool> {
    let held = match fence {
        Some(attempt) => format!(" AND attempts = {attempt} AND status = 'pending'"),
        None => String::new(),
    };
    store.with(|c| {
        let changed = match outcome {
            ArticleOutcome::Ready(p) => {
                let published = p.published.map(ts);
                let mut tx = c.transaction()?;
                let placed = tx.query_opt(
                    &format!(
                        "UPDATE articles SET status = 'ready', processed_json = $2, error = NULL, not_before = NULL,
                           published_at = LEAST(COALESCE($3, published_at), discovered_at), lang = $4,
                           url = COALESCE(url, $5)
                         WHERE id = $1{held} RETURNING story_id, revisions"
                    ),
                    &[&id, &json(p)?, &published, &p.lang, &p.canonical_url],
                )?;
                let placed = placed
                    .map(|r| Ok::<_, postgres::Error>((r.try_get::<_, Option<i64>>(0)?, r.try_get::<_, i64>(1)?)))
                    .transpose()?;
                // A revised article that keeps its story is placed again,
                // later in the log (see the SQLite backend).
                if let Some((Some(story), revisions)) = placed {
                    if revisions > 0 {
                        let seq = next_seq(&mut tx)?;
                        tx.execute("UPDATE articles SET cluster_seq = $2 WHERE id = $1", &[&id, &seq])?;
                        refresh_story(&mut tx, story, Utc::now())?;
                    }
                }
                tx.commit()?;
                u64::from(placed.is_some())
            }
            ArticleOutcome::Retry { error, not_before } => c.execute(
                &format!("UPDATE articles SET error = $2, not_before = $3 WHERE id = $1{held}"),
                &[&id, error, &ts(*not_before)],
            )?,
            ArticleOutcome::Failed { error } => c.execute(
                &format!(
                    "UPDATE articles SET status = 'failed', error = $2, not_before = NULL WHERE id = $1{held}"
                ),
                &[&id, error],
            )?,
        };
        Ok(changed > 0)
    })
}

pub(super) fn renew_claim(
    store: &PgStore,
    id: ArticleId,
    attempt: i64,
    until: DateTime<Utc>,
) -> Result<bool> {
    store.with(|c| {
        let n = c.execute(
            "UPDATE articles SET not_before = $3 WHERE id = $1 AND attempts = $2 AND status = 'pending'",
            &[&id, &attempt, &ts(until)],
        )?;
        Ok(n > 0)
    })
}

pub(super) fn articles(store: &PgStore, q: &ArticleQuery) -> Result<Vec<Article>> {
    let cols = if q.brief {
        ARTICLE_COLS_BRIEF
    } else {
        ARTICLE_COLS
    };
    let mut sql = format!("SELECT {cols} FROM articles WHERE 1 = 1");
    let mut args: Args = Vec::new();
    if !q.include_pending {
        sql.push_str(" AND status = 'ready'");
    }
    if let Some(s) = q.source {
        args.push(Box::new(s));
        sql.push_str(&format!(" AND source_id = ${}", args.len()));
    }
    push_lang(&mut sql, &mut args, q.lang.as_deref());
    sql.push_str(&format!(
        " ORDER BY published_at DESC, id DESC LIMIT {} OFFSET {}",
        q.limit.clamp(1, 500),
        q.offset
    ));
    query_articles(store, &sql, &args)
}

pub(super) fn query_articles(store: &PgStore, sql: &str, args: &Args) -> Result<Vec<Article>> {
    let rows = store.with(|c| {
        c.query(sql, &refs(args))?
            .iter()
            .map(|r| article_row(r).map_err(Into::into))
            .collect::<Result<Vec<_>>>()
    })?;
    collect_articles(rows)
}

pub(super) fn article(store: &PgStore, id: ArticleId) -> Result<Option<Article>> {
    let sql = format!("SELECT {ARTICLE_COLS} FROM articles WHERE id = $1");
    Ok(query_articles(store, &sql, &vec![Box::new(id)])?.pop())
}

pub(super) fn set_hidden(store: &PgStore, id: ArticleId, hidden: bool) -> Result<bool> {
    let (from, to) = if hidden {
        ("ready", "hidden")
    } else {
        ("hidden", "ready")
    };
    store.with(|c| {
        let mut tx = c.transaction()?;
        let Some(row) = tx.query_opt(
            "UPDATE articles SET status = $3 WHERE id = $1 AND status IN ($2, $3) RETURNING story_id",
            &[&id, &from, &to],
        )?
        else {
            return Ok(false);
        };
        if let Some(story) = row.try_get::<_, Option<i64>>(0)? {
            refresh_story(&mut tx, story, Utc::now())?;
        }
        tx.commit()?;
        Ok(true)
    })
}

pub(super) fn counts(store: &PgStore) -> Result<Counts> {
    store.with(|c| {
        let mut counts = Counts::default();
        for r in c.query("SELECT status, COUNT(*) FROM articles GROUP BY status", &[])? {
            let n: i64 = r.try_get(1)?;
            match r.try_get::<_, &str>(0)? {
                "ready" => counts.ready = n,
                "pending" => counts.pending = n,
                "failed" => counts.failed = n,
                "hidden" => counts.hidden = n,
                _ => {}
            }
        }
        counts.by_lang = c
            .query(
                "SELECT COALESCE(lang, 'und'), COUNT(*) FROM articles WHERE status = 'ready'
                 GROUP BY 1 ORDER BY 2 DESC, 1",
                &[],
            )?
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect::<Result<_>>()?;
        counts.unclustered = c
            .query_one(
                "SELECT COUNT(*) FROM articles WHERE status = 'ready' AND cluster_seq IS NULL",
                &[],
            )?
            .try_get(0)?;
        counts.stories = c
            .query_one(
                "SELECT COUNT(*) FROM stories WHERE merged_into IS NULL AND articles > 0",
                &[],
            )?
            .try_get(0)?;
        Ok(counts)
    })
}

pub(super) fn groups(store: &PgStore) -> Result<Vec<Group>> {
    store.with(|c| {
        c.query(
            "SELECT source_id, COALESCE(lang, 'und'), COUNT(*), MAX(published_at) FROM articles
             WHERE status = 'ready' GROUP BY 1, 2 ORDER BY 4 DESC NULLS LAST, 1, 2",
            &[],
        )?
        .iter()
        .map(|r| {
            Ok(Group {
                source: r.try_get(0)?,
                lang: r.try_get(1)?,
                count: r.try_get(2)?,
                newest: parse_ts(r.try_get(3)?),
            })
        })
        .collect()
    })
}

//! Stories: placements in, the placement log out, story reads, and the
//! named leases that keep the story stage to one process at a time.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use courant_model::{Article, ArticleId, ProcessedArticle, Story, StoryId};
use postgres::Transaction;

use crate::policy::{self, LeadCandidate};
use crate::rows::{
    article_row, story_cols_of, story_row, ts, ARTICLE_COLS, ARTICLE_NCOLS, STORY_COLS,
};
use crate::{Error, Placed, Result, StoryBatch, StoryQuery};

use super::articles::{query_articles, ARTICLE_COLS_BRIEF};
use super::{push_lang, refs, Args, PgStore};

/// Placement numbers are handed out under this lock, held to commit, so
/// they commit in order: a reader of the log past N never misses a
/// placement numbered below N that commits later.
const SEQ_LOCK: i64 = 7201400726;

pub(super) fn next_seq(tx: &mut Transaction<'_>) -> Result<i64> {
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SEQ_LOCK])?;
    Ok(tx
        .query_one(
            "SELECT COALESCE(MAX(cluster_seq), 0) + 1 FROM articles",
            &[],
        )?
        .try_get(0)?)
}

pub(super) fn acquire_lease(
    store: &PgStore,
    name: &str,
    holder: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<bool> {
    store.with(|c| {
        let n = c.execute(
            "INSERT INTO leases (name, holder, until) VALUES ($1, $2, $4)
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until
             WHERE leases.holder = excluded.holder OR leases.until <= $3",
            &[&name, &holder, &ts(now), &ts(until)],
        )?;
        Ok(n > 0)
    })
}

pub(super) fn lease_holder(store: &PgStore, name: &str) -> Result<Option<String>> {
    store.with(|c| {
        c.query_opt("SELECT holder FROM leases WHERE name = $1", &[&name])?
            .map(|r| r.try_get(0))
            .transpose()
            .map_err(Into::into)
    })
}

pub(super) fn release_lease(store: &PgStore, name: &str, holder: &str) -> Result<()> {
    store.with(|c| {
        c.execute(
            "DELETE FROM leases WHERE name = $1 AND holder = $2",
            &[&name, &holder],
        )?;
        Ok(())
    })
}

pub(super) fn instance_id(store: &PgStore) -> Result<String> {
    store.with(|c| {
        Ok(
            c.query_one("SELECT value FROM meta WHERE key = 'instance'", &[])?
                .try_get(0)?,
        )
    })
}

pub(super) fn unclustered(store: &PgStore, limit: usize) -> Result<Vec<Article>> {
    query_articles(
        store,
        &format!(
            "SELECT {ARTICLE_COLS} FROM articles WHERE status = 'ready' AND cluster_seq IS NULL
             ORDER BY published_at, id LIMIT {}",
            limit.clamp(1, 10_000)
        ),
        &Vec::new(),
    )
}

pub(super) fn searchable_count(store: &PgStore, upto: i64) -> Result<u64> {
    store.with(|c| {
        let n: i64 = c
            .query_one(
                "SELECT COUNT(*) FROM articles WHERE cluster_seq <= $1 AND story_id IS NOT NULL
                   AND status IN ('ready', 'hidden')",
                &[&upto],
            )?
            .try_get(0)?;
        Ok(n as u64)
    })
}

pub(super) fn placed_since(store: &PgStore, after: i64, limit: usize) -> Result<Vec<Placed>> {
    let rows = store.with(|c| {
        c.query(
            &format!(
                "SELECT {ARTICLE_COLS}, cluster_seq FROM articles
                 WHERE cluster_seq > $1 AND story_id IS NOT NULL ORDER BY cluster_seq LIMIT $2"
            ),
            &[&after, &(limit.clamp(1, 100_000) as i64)],
        )?
        .iter()
        .map(|r| Ok((r.try_get::<_, i64>(ARTICLE_NCOLS)?, article_row(r)?)))
        .collect::<Result<Vec<_>>>()
    })?;
    crate::rows::placed(rows)
}

pub(super) fn record_stories(
    store: &PgStore,
    lease: &str,
    holder: &str,
    batch: &StoryBatch,
    now: DateTime<Utc>,
) -> Result<i64> {
    store.with(|c| {
        let mut tx = c.transaction()?;
        // The lease row stays locked to commit: a taker waits for this
        // batch, and a holder whose lease ran out writes nothing.
        let held = tx.query_opt(
            "SELECT 1 FROM leases WHERE name = $1 AND holder = $2 AND until > $3 FOR UPDATE",
            &[&lease, &holder, &ts(now)],
        )?;
        if held.is_none() {
            return Err(Error::LeaseLost(lease.to_string()));
        }
        let mut seq = next_seq(&mut tx)? - 1;
        let mut touched = BTreeSet::new();
        let open = tx.prepare(
            "INSERT INTO stories (id, updated_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
        )?;
        for p in &batch.placements {
            seq += 1;
            tx.execute(&open, &[&p.story, &ts(now)])?;
            tx.execute(
                "UPDATE articles SET story_id = $2, duplicate_of = $3, central = $4, cluster_seq = $5
                 WHERE id = $1 AND cluster_seq IS NULL",
                &[&p.article, &p.story, &p.duplicate_of, &p.central, &seq],
            )?;
            touched.insert(p.story);
        }
        for &(article, story) in &batch.moves {
            let from: Option<i64> = tx
                .query_opt("SELECT story_id FROM articles WHERE id = $1", &[&article])?
                .map(|r| r.try_get::<_, Option<i64>>(0))
                .transpose()?
                .flatten();
            tx.execute(&open, &[&story, &ts(now)])?;
            seq += 1;
            tx.execute(
                "UPDATE articles SET story_id = $2, cluster_seq = $3 WHERE id = $1",
                &[&article, &story, &seq],
            )?;
            touched.extend(from);
            touched.insert(story);
        }
        for &(a, b, score) in &batch.links {
            for (x, y) in [(a, b), (b, a)] {
                tx.execute(
                    "INSERT INTO story_links (story, other, score) VALUES ($1, $2, $3)
                     ON CONFLICT (story, other) DO UPDATE SET score = GREATEST(story_links.score, excluded.score)",
                    &[&x, &y, &score],
                )?;
            }
        }
        for &(gone, keep) in &batch.merges {
            let members: Vec<i64> = tx
                .query(
                    "SELECT id FROM articles WHERE story_id = $1 ORDER BY cluster_seq",
                    &[&gone],
                )?
                .iter()
                .map(|r| r.try_get(0))
                .collect::<std::result::Result<_, _>>()?;
            for article in members {
                seq += 1;
                tx.execute(
                    "UPDATE articles SET story_id = $2, cluster_seq = $3 WHERE id = $1",
                    &[&article, &keep, &seq],
                )?;
            }
            tx.execute(
                "UPDATE stories SET merged_into = $2, articles = 0, sources = 0, updated_at = $3
                 WHERE id = $1 OR merged_into = $1",
                &[&gone, &keep, &ts(now)],
            )?;
            tx.execute(
                "INSERT INTO story_links (story, other, score)
                 SELECT $2::bigint, other, score FROM story_links WHERE story = $1 AND other <> $2
                 ON CONFLICT (story, other) DO UPDATE SET score = GREATEST(story_links.score, excluded.score)",
                &[&gone, &keep],
            )?;
            tx.execute(
                "INSERT INTO story_links (story, other, score)
                 SELECT story, $2::bigint, score FROM story_links WHERE other = $1 AND story <> $2
                 ON CONFLICT (story, other) DO UPDATE SET score = GREATEST(story_links.score, excluded.score)",
                &[&gone, &keep],
            )?;
            tx.execute(
                "DELETE FROM story_links WHERE story = $1 OR other = $1 OR story = other",
                &[&gone],
            )?;
            touched.remove(&gone);
            touched.insert(keep);
        }
        for (article, model, vector) in &batch.vectors {
            let blob: Vec<u8> = vector.iter().flat_map(|x| x.to_le_bytes()).collect();
            tx.execute(
                "INSERT INTO article_vectors (article_id, model, vector) VALUES ($1, $2, $3)
                 ON CONFLICT (article_id) DO UPDATE SET model = excluded.model, vector = excluded.vector",
                &[article, model, &blob],
            )?;
        }
        for &(story, event) in &batch.events {
            tx.execute(
                "UPDATE stories SET event_id = $2 WHERE id = $1",
                &[&story, &event],
            )?;
        }
        for story in touched {
            refresh_story(&mut tx, story, now)?;
        }
        tx.commit()?;
        Ok(seq)
    })
}

fn query_stories(store: &PgStore, sql: &str, args: &Args) -> Result<Vec<Story>> {
    store.with(|c| {
        c.query(sql, &refs(args))?
            .iter()
            .map(|r| story_row(r).map_err(Into::into))
            .collect()
    })
}

pub(super) fn event_stories(store: &PgStore, id: StoryId) -> Result<Vec<Story>> {
    query_stories(
        store,
        &format!(
            "SELECT {STORY_COLS} FROM stories
             WHERE (id = $1 OR event_id = (SELECT event_id FROM stories WHERE id = $1))
               AND merged_into IS NULL AND (articles > 0 OR id = $1)
             ORDER BY sources DESC, articles DESC, id LIMIT 64"
        ),
        &vec![Box::new(id)],
    )
}

pub(super) fn event_breadth(
    store: &PgStore,
    ids: &[StoryId],
) -> Result<HashMap<StoryId, (StoryId, i64)>> {
    store.with(|c| {
        let rows = c.query(
            "SELECT s.id, COALESCE(s.event_id, s.id),
                    CASE WHEN s.event_id IS NULL THEN 1 ELSE
                      (SELECT COUNT(*) FROM stories t
                       WHERE t.event_id = s.event_id AND t.merged_into IS NULL AND t.articles > 0)
                    END
             FROM stories s WHERE s.id = ANY($1)",
            &[&ids],
        )?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get(0)?,
                    (r.try_get(1)?, r.try_get::<_, i64>(2)?.max(1)),
                ))
            })
            .collect::<Result<_>>()
    })
}

pub(super) fn vectors(store: &PgStore, ids: &[ArticleId]) -> Result<HashMap<ArticleId, Vec<f32>>> {
    store.with(|c| {
        let rows = c.query(
            "SELECT article_id, vector FROM article_vectors WHERE article_id = ANY($1)",
            &[&ids],
        )?;
        rows.iter()
            .map(|r| {
                let b: &[u8] = r.try_get(1)?;
                let v = b
                    .chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect();
                Ok((r.try_get(0)?, v))
            })
            .collect::<Result<_>>()
    })
}

pub(super) fn max_story_id(store: &PgStore) -> Result<StoryId> {
    store.with(|c| {
        Ok(
            c.query_one("SELECT COALESCE(MAX(id), 0) FROM stories", &[])?
                .try_get(0)?,
        )
    })
}

pub(super) fn story(store: &PgStore, id: StoryId) -> Result<Option<Story>> {
    Ok(query_stories(
        store,
        &format!("SELECT {STORY_COLS} FROM stories WHERE id = $1"),
        &vec![Box::new(id)],
    )?
    .pop())
}

pub(super) fn stories(store: &PgStore, q: &StoryQuery) -> Result<Vec<Story>> {
    let mut sql =
        format!("SELECT {STORY_COLS} FROM stories WHERE merged_into IS NULL AND articles > 0");
    let mut args: Args = Vec::new();
    push_lang(&mut sql, &mut args, q.lang.as_deref());
    if let Some(src) = q.source {
        args.push(Box::new(src));
        sql.push_str(&format!(
            " AND id IN (SELECT story_id FROM articles WHERE source_id = ${} AND status = 'ready')",
            args.len()
        ));
    }
    sql.push_str(&format!(
        " ORDER BY last_at DESC NULLS LAST, id DESC LIMIT {}",
        q.limit.clamp(1, 500)
    ));
    query_stories(store, &sql, &args)
}

pub(super) fn copies_of(
    store: &PgStore,
    original: ArticleId,
    limit: usize,
) -> Result<Vec<Article>> {
    let mut out = query_articles(
        store,
        &format!(
            "SELECT {ARTICLE_COLS_BRIEF} FROM articles WHERE id = $1 AND status = 'ready'
             UNION ALL
             (SELECT {ARTICLE_COLS_BRIEF} FROM articles
               WHERE duplicate_of = $1 AND status = 'ready' LIMIT {})",
            limit.clamp(1, 5_000)
        ),
        &vec![Box::new(original)],
    )?;
    out.sort_by_key(|a| (a.published(), a.id));
    out.truncate(limit);
    Ok(out)
}

pub(super) fn related_stories(
    store: &PgStore,
    id: StoryId,
    limit: usize,
) -> Result<Vec<(Story, f32)>> {
    let cols = story_cols_of("s");
    store.with(|c| {
        c.query(
            &format!(
                "SELECT {cols}, l.score FROM story_links l JOIN stories s ON s.id = l.other
                 WHERE l.story = $1 AND s.merged_into IS NULL AND s.articles > 0
                 ORDER BY l.score DESC, s.last_at DESC NULLS LAST LIMIT $2"
            ),
            &[&id, &(limit.clamp(1, 100) as i64)],
        )?
        .iter()
        .map(|r| Ok((story_row(r)?, r.try_get::<_, f32>(11)?)))
        .collect()
    })
}

/// The newest `limit` ready articles of a story, oldest first.
pub(super) fn newest_of_story(
    store: &PgStore,
    cols: &str,
    id: StoryId,
    limit: usize,
) -> Result<Vec<Article>> {
    let mut out = query_articles(
        store,
        &format!(
            "SELECT {cols} FROM articles WHERE story_id = $1 AND status = 'ready'
             ORDER BY published_at DESC, id DESC LIMIT {}",
            limit.clamp(1, 5_000)
        ),
        &vec![Box::new(id)],
    )?;
    out.reverse();
    Ok(out)
}

/// Sums a story again from its ready members (see the SQLite backend).
pub(super) fn refresh_story(tx: &mut Transaction<'_>, id: i64, now: DateTime<Utc>) -> Result<()> {
    let r = tx.query_one(
        "SELECT COUNT(*), COUNT(DISTINCT source_id), MIN(published_at), MAX(published_at)
         FROM articles WHERE story_id = $1 AND status = 'ready'",
        &[&id],
    )?;
    let (articles, sources, first, last): (i64, i64, Option<String>, Option<String>) =
        (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?);
    let members: Vec<LeadCandidate> = tx
        .query(
            "SELECT id, duplicate_of IS NOT NULL, central, published_at FROM articles
             WHERE story_id = $1 AND status = 'ready' AND processed_json IS NOT NULL",
            &[&id],
        )?
        .iter()
        .map(|r| {
            Ok(LeadCandidate {
                id: r.try_get(0)?,
                copy: r.try_get(1)?,
                central: r.try_get::<_, Option<f32>>(2)?.map(f64::from),
                published: r.try_get(3)?,
            })
        })
        .collect::<Result<_>>()?;
    let (lead_id, lang, title, summary) = match policy::lead(&members) {
        Some(c) => {
            let r = tx.query_one(
                "SELECT lang, processed_json FROM articles WHERE id = $1",
                &[&c.id],
            )?;
            let (lang, json): (Option<String>, String) = (r.try_get(0)?, r.try_get(1)?);
            let p: ProcessedArticle = serde_json::from_str(&json)
                .map_err(|e| Error::Corrupt(format!("article {}: processed: {e}", c.id)))?;
            (Some(c.id), lang, p.title, policy::first_sentence(&p.text))
        }
        None => (None, None, String::new(), String::new()),
    };
    tx.execute(
        "UPDATE stories SET lead_article = $2, title = $3, summary = $4, lang = $5, first_at = $6,
           last_at = $7, articles = $8, sources = $9, updated_at = $10 WHERE id = $1",
        &[
            &id,
            &lead_id,
            &title,
            &summary,
            &lang,
            &first,
            &last,
            &articles,
            &sources,
            &ts(now),
        ],
    )?;
    Ok(())
}

//! Stories: placements in, the placement log out, and story reads. What a
//! story is called and which member leads it is `crate::policy`.

use chrono::{DateTime, Utc};
use courant_model::{Article, ArticleId, ProcessedArticle, Story, StoryId};
use rusqlite::{params, OptionalExtension};

use crate::{Error, Placed, Result, StoryBatch, StoryQuery};

use super::rows::{
    article_row, collect_articles, story_cols_of, story_row, ARTICLE_COLS, ARTICLE_COLS_BRIEF,
    STORY_COLS,
};
use super::{push_lang, ts, SqliteStore};
use crate::policy::{self, LeadCandidate};

pub(super) fn unclustered(store: &SqliteStore, limit: usize) -> Result<Vec<Article>> {
    let c = store.read();
    let mut st = c.prepare_cached(&format!(
        "SELECT {ARTICLE_COLS} FROM articles WHERE status = 'ready' AND cluster_seq IS NULL
         ORDER BY published_at, id LIMIT ?1"
    ))?;
    let rows = st
        .query_map([limit.clamp(1, 10_000) as i64], article_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    drop(st);
    drop(c);
    collect_articles(rows)
}

pub(super) fn searchable_count(store: &SqliteStore, upto: i64) -> Result<u64> {
    let n: i64 = store.read().query_row(
        "SELECT COUNT(*) FROM articles WHERE cluster_seq <= ?1 AND story_id IS NOT NULL
           AND status IN ('ready', 'hidden')",
        [upto],
        |r| r.get(0),
    )?;
    Ok(n as u64)
}

pub(super) fn placed_since(store: &SqliteStore, after: i64, limit: usize) -> Result<Vec<Placed>> {
    let c = store.read();
    let mut st = c.prepare_cached(&format!(
        "SELECT {ARTICLE_COLS}, cluster_seq FROM articles
         WHERE cluster_seq > ?1 AND story_id IS NOT NULL ORDER BY cluster_seq LIMIT ?2"
    ))?;
    // The sequence comes after the article's columns, so `article_row` reads the rest.
    let rows = st
        .query_map(params![after, limit.clamp(1, 100_000) as i64], |r| {
            Ok((r.get::<_, i64>(14)?, article_row(r)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    drop(st);
    drop(c);
    crate::rows::placed(rows)
}

pub(super) fn record_stories(
    store: &SqliteStore,
    lease: &str,
    holder: &str,
    batch: &StoryBatch,
    now: DateTime<Utc>,
) -> Result<i64> {
    let mut c = store.write();
    let tx = c.transaction()?;
    let held: bool = tx
        .query_row(
            "SELECT COUNT(*) FROM leases WHERE name = ?1 AND holder = ?2 AND until > ?3",
            params![lease, holder, ts(now)],
            |r| r.get::<_, i64>(0),
        )
        .map(|n| n > 0)?;
    if !held {
        return Err(Error::LeaseLost(lease.to_string()));
    }
    let mut seq: i64 = tx.query_row(
        "SELECT COALESCE(MAX(cluster_seq), 0) FROM articles",
        [],
        |r| r.get(0),
    )?;
    let mut touched = std::collections::BTreeSet::new();
    for p in &batch.placements {
        seq += 1;
        tx.execute(
            "INSERT INTO stories (id, updated_at) VALUES (?1, ?2) ON CONFLICT (id) DO NOTHING",
            params![p.story, ts(now)],
        )?;
        tx.execute(
            "UPDATE articles SET story_id = ?2, duplicate_of = ?3, central = ?4, cluster_seq = ?5
             WHERE id = ?1 AND cluster_seq IS NULL",
            params![p.article, p.story, p.duplicate_of, p.central, seq],
        )?;
        touched.insert(p.story);
    }
    for &(article, story) in &batch.moves {
        let from: Option<i64> = tx
            .query_row(
                "SELECT story_id FROM articles WHERE id = ?1",
                [article],
                |r| r.get(0),
            )
            .optional()?
            .flatten();
        tx.execute(
            "INSERT INTO stories (id, updated_at) VALUES (?1, ?2) ON CONFLICT (id) DO NOTHING",
            params![story, ts(now)],
        )?;
        // A new sequence number puts the move in the replay stream, so a
        // standby worker's index learns of it.
        seq += 1;
        tx.execute(
            "UPDATE articles SET story_id = ?2, cluster_seq = ?3 WHERE id = ?1",
            params![article, story, seq],
        )?;
        touched.extend(from);
        touched.insert(story);
    }
    for &(a, b, score) in &batch.links {
        for (x, y) in [(a, b), (b, a)] {
            tx.execute(
                "INSERT INTO story_links (story, other, score) VALUES (?1, ?2, ?3)
                 ON CONFLICT (story, other) DO UPDATE SET score = MAX(score, excluded.score)",
                params![x, y, score],
            )?;
        }
    }
    for &(gone, keep) in &batch.merges {
        // Each article of the merged story is placed anew in the replay
        // stream, as for a move.
        let members: Vec<i64> = tx
            .prepare_cached("SELECT id FROM articles WHERE story_id = ?1 ORDER BY cluster_seq")?
            .query_map([gone], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for article in members {
            seq += 1;
            tx.execute(
                "UPDATE articles SET story_id = ?2, cluster_seq = ?3 WHERE id = ?1",
                params![article, keep, seq],
            )?;
        }
        tx.execute(
            "UPDATE stories SET merged_into = ?2, articles = 0, sources = 0, updated_at = ?3
             WHERE id = ?1 OR merged_into = ?1",
            params![gone, keep, ts(now)],
        )?;
        for (col, other) in [("story", "other"), ("other", "story")] {
            tx.execute(
                &format!(
                    "INSERT INTO story_links (story, other, score)
                     SELECT {}, {}, score FROM story_links WHERE {col} = ?1 AND {other} != ?2
                     ON CONFLICT (story, other) DO UPDATE SET score = MAX(score, excluded.score)",
                    if col == "story" { "?2" } else { "story" },
                    if col == "story" { "other" } else { "?2" },
                ),
                params![gone, keep],
            )?;
        }
        tx.execute(
            "DELETE FROM story_links WHERE story = ?1 OR other = ?1 OR story = other",
            params![gone],
        )?;
        touched.remove(&gone);
        touched.insert(keep);
    }
    for (article, model, vector) in &batch.vectors {
        let blob: Vec<u8> = vector.iter().flat_map(|x| x.to_le_bytes()).collect();
        tx.execute(
            "INSERT INTO article_vectors (article_id, model, vector) VALUES (?1, ?2, ?3)
             ON CONFLICT (article_id) DO UPDATE SET model = excluded.model, vector = excluded.vector",
            params![article, model, blob],
        )?;
    }
    for &(story, event) in &batch.events {
        tx.execute(
            "UPDATE stories SET event_id = ?2 WHERE id = ?1",
            params![story, event],
        )?;
    }
    for story in touched {
        refresh_story(&tx, story, now)?;
    }
    tx.commit()?;
    Ok(seq)
}

pub(super) fn event_stories(store: &SqliteStore, id: StoryId) -> Result<Vec<Story>> {
    let c = store.read();
    let event: Option<StoryId> = c
        .query_row("SELECT event_id FROM stories WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .optional()?
        .flatten();
    let mut st = c.prepare_cached(&format!(
        "SELECT {STORY_COLS} FROM stories
         WHERE (id = ?1 OR (?2 IS NOT NULL AND event_id = ?2)) AND merged_into IS NULL
           AND (articles > 0 OR id = ?1)
         ORDER BY sources DESC, articles DESC, id LIMIT 64"
    ))?;
    let rows = st
        .query_map(params![id, event], story_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

pub(super) fn event_breadth(
    store: &SqliteStore,
    ids: &[StoryId],
) -> Result<std::collections::HashMap<StoryId, (StoryId, i64)>> {
    let c = store.read();
    let mut st = c.prepare_cached(
        "SELECT COALESCE(s.event_id, s.id),
                CASE WHEN s.event_id IS NULL THEN 1 ELSE
                  (SELECT COUNT(*) FROM stories t
                   WHERE t.event_id = s.event_id AND t.merged_into IS NULL AND t.articles > 0)
                END
         FROM stories s WHERE s.id = ?1",
    )?;
    let mut out = std::collections::HashMap::new();
    for &id in ids {
        if let Some(row) = st
            .query_row([id], |r| Ok((r.get::<_, StoryId>(0)?, r.get::<_, i64>(1)?)))
            .optional()?
        {
            out.insert(id, (row.0, row.1.max(1)));
        }
    }
    Ok(out)
}

pub(super) fn vectors(
    store: &SqliteStore,
    ids: &[ArticleId],
) -> Result<std::collections::HashMap<ArticleId, Vec<f32>>> {
    let c = store.read();
    let mut st = c.prepare_cached("SELECT vector FROM article_vectors WHERE article_id = ?1")?;
    let mut out = std::collections::HashMap::new();
    for &id in ids {
        let blob: Option<Vec<u8>> = st.query_row([id], |r| r.get(0)).optional()?;
        if let Some(b) = blob {
            let v = b
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            out.insert(id, v);
        }
    }
    Ok(out)
}

pub(super) fn max_story_id(store: &SqliteStore) -> Result<StoryId> {
    let c = store.read();
    Ok(c.query_row("SELECT COALESCE(MAX(id), 0) FROM stories", [], |r| r.get(0))?)
}

pub(super) fn story(store: &SqliteStore, id: StoryId) -> Result<Option<Story>> {
    let c = store.read();
    Ok(c.query_row(
        &format!("SELECT {STORY_COLS} FROM stories WHERE id = ?1"),
        [id],
        story_row,
    )
    .optional()?)
}

pub(super) fn stories(store: &SqliteStore, q: &StoryQuery) -> Result<Vec<Story>> {
    let mut sql =
        format!("SELECT {STORY_COLS} FROM stories WHERE merged_into IS NULL AND articles > 0");
    let mut args: Vec<rusqlite::types::Value> = Vec::new();
    push_lang(&mut sql, &mut args, q.lang.as_deref());
    if let Some(src) = q.source {
        args.push(src.into());
        sql.push_str(&format!(
            " AND id IN (SELECT story_id FROM articles WHERE source_id = ?{} AND status = 'ready')",
            args.len()
        ));
    }
    sql.push_str(&format!(
        " ORDER BY last_at DESC, id DESC LIMIT {}",
        q.limit.clamp(1, 500)
    ));
    let c = store.read();
    let mut st = c.prepare_cached(&sql)?;
    let rows = st
        .query_map(rusqlite::params_from_iter(args), story_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

pub(super) fn story_articles(
    store: &SqliteStore,
    id: StoryId,
    limit: usize,
) -> Result<Vec<Article>> {
    newest_of_story(store, ARTICLE_COLS, id, limit)
}

pub(super) fn story_members(
    store: &SqliteStore,
    id: StoryId,
    limit: usize,
) -> Result<Vec<Article>> {
    newest_of_story(store, ARTICLE_COLS_BRIEF, id, limit)
}

pub(super) fn copies_of(
    store: &SqliteStore,
    original: ArticleId,
    limit: usize,
) -> Result<Vec<Article>> {
    let c = store.read();
    // Two indexed lookups, sorted here: with `id = ?1 OR duplicate_of = ?1`,
    // or an ORDER BY over the union, SQLite walks the status index instead
    // (150 ms at 100,000 articles). `+status` keeps that index out.
    let mut st = c.prepare_cached(&format!(
        "SELECT {ARTICLE_COLS_BRIEF} FROM articles WHERE id = ?1 AND +status = 'ready'
         UNION ALL
         SELECT {ARTICLE_COLS_BRIEF} FROM articles
           WHERE duplicate_of = ?1 AND +status = 'ready' LIMIT ?2"
    ))?;
    let rows = st
        .query_map(params![original, limit.clamp(1, 5_000) as i64], article_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    drop(st);
    drop(c);
    let mut out = collect_articles(rows)?;
    out.sort_by_key(|a| (a.published(), a.id));
    out.truncate(limit);
    Ok(out)
}

pub(super) fn related_stories(
    store: &SqliteStore,
    id: StoryId,
    limit: usize,
) -> Result<Vec<(Story, f32)>> {
    let c = store.read();
    let cols = story_cols_of("s");
    let mut st = c.prepare_cached(&format!(
        "SELECT {cols}, l.score FROM story_links l JOIN stories s ON s.id = l.other
         WHERE l.story = ?1 AND s.merged_into IS NULL AND s.articles > 0
         ORDER BY l.score DESC, s.last_at DESC LIMIT ?2"
    ))?;
    let rows = st
        .query_map(params![id, limit.clamp(1, 100) as i64], |r| {
            Ok((story_row(r)?, r.get::<_, f64>(11)? as f32))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// The newest `limit` ready articles of a story, oldest first.
fn newest_of_story(
    store: &SqliteStore,
    cols: &str,
    id: StoryId,
    limit: usize,
) -> Result<Vec<Article>> {
    let c = store.read();
    let mut st = c.prepare_cached(&format!(
        "SELECT {cols} FROM articles WHERE story_id = ?1 AND status = 'ready'
         ORDER BY published_at DESC, id DESC LIMIT ?2"
    ))?;
    let rows = st
        .query_map(params![id, limit.clamp(1, 5_000) as i64], article_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    drop(st);
    drop(c);
    let mut out = collect_articles(rows)?;
    out.reverse();
    Ok(out)
}

/// Sums a story again from its ready members: counts, time span, and the most
/// central original as its lead, whose title and first sentence name it.
pub(super) fn refresh_story(
    tx: &rusqlite::Transaction<'_>,
    id: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    let (articles, sources, first, last): (i64, i64, Option<String>, Option<String>) = tx
        .query_row(
            "SELECT COUNT(*), COUNT(DISTINCT source_id), MIN(published_at), MAX(published_at)
             FROM articles WHERE story_id = ?1 AND status = 'ready'",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )?;
    let members: Vec<LeadCandidate> = tx
        .prepare_cached(
            "SELECT id, duplicate_of IS NOT NULL, central, published_at FROM articles
             WHERE story_id = ?1 AND status = 'ready' AND processed_json IS NOT NULL",
        )?
        .query_map([id], |r| {
            Ok(LeadCandidate {
                id: r.get(0)?,
                copy: r.get(1)?,
                central: r.get(2)?,
                published: r.get(3)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let lead: Option<(i64, Option<String>, String)> = match policy::lead(&members) {
        Some(c) => Some(tx.query_row(
            "SELECT id, lang, processed_json FROM articles WHERE id = ?1",
            [c.id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?),
        None => None,
    };
    let (lead_id, lang, title, summary) = match lead {
        Some((aid, lang, json)) => {
            let p: ProcessedArticle = serde_json::from_str(&json)
                .map_err(|e| Error::Corrupt(format!("article {aid}: processed: {e}")))?;
            (Some(aid), lang, p.title, policy::first_sentence(&p.text))
        }
        None => (None, None, String::new(), String::new()),
    };
    tx.execute(
        "UPDATE stories SET lead_article = ?2, title = ?3, summary = ?4, lang = ?5, first_at = ?6,
           last_at = ?7, articles = ?8, sources = ?9, updated_at = ?10 WHERE id = ?1",
        params![
            id,
            lead_id,
            title,
            summary,
            lang,
            first,
            last,
            articles,
            sources,
            ts(now)
        ],
    )?;
    Ok(())
}

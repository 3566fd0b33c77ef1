//! Sources and their health.

use chrono::{DateTime, Utc};
use courant_model::{NewSource, Source, SourceId};
use rusqlite::{params, OptionalExtension};

use crate::{PollRecord, PollResult, Result};

use super::rows::{pick_by_host, source_row, SOURCE_COLS};
use super::stories::refresh_story;
use super::{ts, SqliteStore};

pub(super) fn add_source(store: &SqliteStore, s: &NewSource) -> Result<Source> {
    let c = store.write();
    c.execute(
        "INSERT INTO sources (feed_url, name, lang, attribution, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (feed_url) DO UPDATE SET
           name = CASE WHEN excluded.name <> '' THEN excluded.name ELSE sources.name END,
           lang = COALESCE(excluded.lang, sources.lang),
           attribution = COALESCE(excluded.attribution, sources.attribution)",
        params![s.feed_url, s.name, s.lang, s.attribution, ts(Utc::now())],
    )?;
    let src = c.query_row(
        &format!("SELECT {SOURCE_COLS} FROM sources s WHERE s.feed_url = ?1"),
        [&s.feed_url],
        source_row,
    )?;
    Ok(src)
}

pub(super) fn remove_source(store: &SqliteStore, id: SourceId) -> Result<bool> {
    let mut c = store.write();
    let tx = c.transaction()?;
    // Stories it contributed to are summed again without its articles.
    let touched: Vec<i64> = tx
        .prepare(
            "SELECT DISTINCT story_id FROM articles WHERE source_id = ?1 AND story_id IS NOT NULL",
        )?
        .query_map([id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let removed = tx.execute("DELETE FROM sources WHERE id = ?1", [id])? > 0;
    for story in touched {
        refresh_story(&tx, story, Utc::now())?;
    }
    tx.commit()?;
    Ok(removed)
}

pub(super) fn sources(store: &SqliteStore) -> Result<Vec<Source>> {
    let c = store.read();
    let mut st = c.prepare_cached(&format!(
        "SELECT {SOURCE_COLS} FROM sources s ORDER BY s.name, s.id"
    ))?;
    let rows = st
        .query_map([], source_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

pub(super) fn source(store: &SqliteStore, id: SourceId) -> Result<Option<Source>> {
    let c = store.read();
    Ok(c.query_row(
        &format!("SELECT {SOURCE_COLS} FROM sources s WHERE s.id = ?1"),
        [id],
        source_row,
    )
    .optional()?)
}

pub(super) fn due_sources(
    store: &SqliteStore,
    now: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<Source>> {
    let c = store.read();
    let mut st = c.prepare_cached(&format!(
        "SELECT {SOURCE_COLS} FROM sources s WHERE s.next_poll_at IS NULL OR s.next_poll_at <= ?1
         ORDER BY s.next_poll_at IS NOT NULL, s.next_poll_at LIMIT ?2"
    ))?;
    let rows = st
        .query_map(params![ts(now), limit as i64], source_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

pub(super) fn record_poll(store: &SqliteStore, id: SourceId, rec: &PollRecord) -> Result<()> {
    let c = store.write();
    match &rec.result {
        PollResult::Ok {
            title,
            site_url,
            etag,
            last_modified,
            warning,
        } => {
            c.execute(
                "UPDATE sources SET last_fetch_at = ?2, last_ok_at = ?2, last_error = ?3, consecutive_failures = 0,
                   next_poll_at = ?4,
                   etag = COALESCE(?5, etag), last_modified = COALESCE(?6, last_modified),
                   site_url = COALESCE(?7, site_url),
                   name = CASE WHEN name = '' THEN COALESCE(?8, feed_url) ELSE name END
                 WHERE id = ?1",
                params![id, ts(rec.at), warning, ts(rec.next_poll_at), etag, last_modified, site_url, title],
            )?;
        }
        PollResult::Failed { error } => {
            c.execute(
                "UPDATE sources SET last_fetch_at = ?2, last_error = ?3,
                   consecutive_failures = consecutive_failures + 1, next_poll_at = ?4,
                   name = CASE WHEN name = '' THEN feed_url ELSE name END
                 WHERE id = ?1",
                params![id, ts(rec.at), error, ts(rec.next_poll_at)],
            )?;
        }
    }
    Ok(())
}

/// Due sources, each taken with its host's turn or left for a later claim,
/// under the one writer.
pub(super) fn claim_due_sources(
    store: &SqliteStore,
    now: DateTime<Utc>,
    lease_secs: i64,
    host_gap_secs: f64,
    limit: usize,
) -> Result<Vec<Source>> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    let until = ts(now + chrono::Duration::seconds(lease_secs));
    let next_turn = ts(now + chrono::Duration::milliseconds((host_gap_secs * 1000.0) as i64));
    let mut c = store.write();
    let tx = c.transaction()?;
    let due: Vec<(i64, String)> = tx
        .prepare_cached(
            "SELECT id, feed_url FROM sources WHERE next_poll_at IS NULL OR next_poll_at <= ?1
             ORDER BY next_poll_at IS NOT NULL, next_poll_at LIMIT ?2",
        )?
        .query_map(params![ts(now), (limit * 4) as i64], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let picked = pick_by_host(due, limit, |host| {
        let turn = tx.execute(
            "INSERT INTO host_turns (host, next_at) VALUES (?1, ?2)
             ON CONFLICT (host) DO UPDATE SET next_at = excluded.next_at
             WHERE host_turns.next_at <= ?3",
            params![host, next_turn, ts(now)],
        )?;
        Ok(turn > 0)
    })?;
    let mut out = Vec::with_capacity(picked.len());
    for id in picked {
        // Read as it was: a poll keeps the interval the last one chose.
        out.push(tx.query_row(
            &format!("SELECT {SOURCE_COLS} FROM sources s WHERE s.id = ?1"),
            [id],
            source_row,
        )?);
        tx.execute(
            "UPDATE sources SET next_poll_at = ?2 WHERE id = ?1",
            params![id, until],
        )?;
    }
    tx.commit()?;
    Ok(out)
}

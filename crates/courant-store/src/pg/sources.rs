//! Sources, their health, and claims on their polls.

use chrono::{DateTime, Utc};
use courant_model::{NewSource, Source, SourceId};

use crate::rows::{pick_by_host, source_row, ts, SOURCE_COLS};
use crate::{PollRecord, PollResult, Result};

use super::stories::refresh_story;
use super::PgStore;

pub(super) fn add_source(store: &PgStore, s: &NewSource) -> Result<Source> {
    store.with(|c| {
        c.execute(
            "INSERT INTO sources (feed_url, name, lang, attribution, created_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (feed_url) DO UPDATE SET
               name = CASE WHEN excluded.name <> '' THEN excluded.name ELSE sources.name END,
               lang = COALESCE(excluded.lang, sources.lang),
               attribution = COALESCE(excluded.attribution, sources.attribution)",
            &[&s.feed_url, &s.name, &s.lang, &s.attribution, &ts(Utc::now())],
        )?;
        let row = c.query_one(
            &format!("SELECT {SOURCE_COLS} FROM sources s WHERE s.feed_url = $1"),
            &[&s.feed_url],
        )?;
        Ok(source_row(&row)?)
    })
}

pub(super) fn remove_source(store: &PgStore, id: SourceId) -> Result<bool> {
    store.with(|c| {
        let mut tx = c.transaction()?;
        let touched: Vec<i64> = tx
            .query(
                "SELECT DISTINCT story_id FROM articles WHERE source_id = $1 AND story_id IS NOT NULL",
                &[&id],
            )?
            .iter()
            .map(|r| r.try_get(0))
            .collect::<std::result::Result<_, _>>()?;
        let removed = tx.execute("DELETE FROM sources WHERE id = $1", &[&id])? > 0;
        for story in touched {
            refresh_story(&mut tx, story, Utc::now())?;
        }
        tx.commit()?;
        Ok(removed)
    })
}

fn list(
    store: &PgStore,
    sql: &str,
    args: &[&(dyn postgres::types::ToSql + Sync)],
) -> Result<Vec<Source>> {
    store.with(|c| {
        c.query(sql, args)?
            .iter()
            .map(|r| source_row(r).map_err(Into::into))
            .collect()
    })
}

pub(super) fn sources(store: &PgStore) -> Result<Vec<Source>> {
    list(
        store,
        &format!("SELECT {SOURCE_COLS} FROM sources s ORDER BY s.name, s.id"),
        &[],
    )
}

pub(super) fn source(store: &PgStore, id: SourceId) -> Result<Option<Source>> {
    Ok(list(
        store,
        &format!("SELECT {SOURCE_COLS} FROM sources s WHERE s.id = $1"),
        &[&id],
    )?
    .pop())
}

pub(super) fn due_sources(
    store: &PgStore,
    now: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<Source>> {
    list(
        store,
        &format!(
            "SELECT {SOURCE_COLS} FROM sources s WHERE s.next_poll_at IS NULL OR s.next_poll_at <= $1
             ORDER BY s.next_poll_at IS NOT NULL, s.next_poll_at LIMIT $2"
        ),
        &[&ts(now), &(limit as i64)],
    )
}

/// Due sources, locked without waiting on other workers' claims; each is
/// taken with its host's turn or left for a later claim.
pub(super) fn claim_due_sources(
    store: &PgStore,
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
    store.with(|c| {
        let mut tx = c.transaction()?;
        let due: Vec<(i64, String)> = tx
            .query(
                "SELECT id, feed_url FROM sources WHERE next_poll_at IS NULL OR next_poll_at <= $1
                 ORDER BY next_poll_at IS NOT NULL, next_poll_at LIMIT $2 FOR UPDATE SKIP LOCKED",
                &[&ts(now), &((limit * 4) as i64)],
            )?
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect::<Result<_>>()?;
        let now_ts = ts(now);
        let claimed = pick_by_host(due, limit, |host| {
            let turn = tx.execute(
                "INSERT INTO host_turns (host, next_at) VALUES ($1, $2)
                 ON CONFLICT (host) DO UPDATE SET next_at = excluded.next_at
                 WHERE host_turns.next_at <= $3",
                &[&host, &next_turn, &now_ts],
            )?;
            Ok(turn > 0)
        })?;
        // Read as they were: a poll keeps the interval the last one chose.
        let rows = tx.query(
            &format!("SELECT {SOURCE_COLS} FROM sources s WHERE s.id = ANY($1) ORDER BY s.id"),
            &[&claimed],
        )?;
        let out = rows
            .iter()
            .map(source_row)
            .collect::<std::result::Result<Vec<_>, _>>()?;
        tx.execute(
            "UPDATE sources SET next_poll_at = $2 WHERE id = ANY($1)",
            &[&claimed, &until],
        )?;
        tx.commit()?;
        Ok(out)
    })
}

pub(super) fn record_poll(store: &PgStore, id: SourceId, rec: &PollRecord) -> Result<()> {
    store.with(|c| {
        match &rec.result {
            PollResult::Ok {
                title,
                site_url,
                etag,
                last_modified,
                warning,
            } => {
                c.execute(
                    "UPDATE sources SET last_fetch_at = $2, last_ok_at = $2, last_error = $3, consecutive_failures = 0,
                       next_poll_at = $4,
                       etag = COALESCE($5, etag), last_modified = COALESCE($6, last_modified),
                       site_url = COALESCE($7, site_url),
                       name = CASE WHEN name = '' THEN COALESCE($8, feed_url) ELSE name END
                     WHERE id = $1",
                    &[&id, &ts(rec.at), warning, &ts(rec.next_poll_at), etag, last_modified, site_url, title],
                )?;
            }
            PollResult::Failed { error } => {
                c.execute(
                    "UPDATE sources SET last_fetch_at = $2, last_error = $3,
                       consecutive_failures = consecutive_failures + 1, next_poll_at = $4,
                       name = CASE WHEN name = '' THEN feed_url ELSE name END
                     WHERE id = $1",
                    &[&id, &ts(rec.at), error, &ts(rec.next_poll_at)],
                )?;
            }
        }
        Ok(())
    })
}

//! Translations, the translation memory and the characters sent per day.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use courant_model::{ArticleId, Translation};
use rusqlite::{params, OptionalExtension as _, Row};

use crate::rows::{translation_row, TranslationRow};
use crate::{Result, TranslationQuery};

use super::{json, ts, SqliteStore};

const COLS: &str =
    "t.article_id, a.source_id, a.published_at, t.lang, t.from_lang, t.provider, t.label,
    t.status, t.title, t.html, t.text, t.engine_text, t.reasons, t.findings, t.error, t.attempts,
    t.next_attempt, t.updated_at";

fn row(r: &Row<'_>) -> rusqlite::Result<TranslationRow> {
    translation_row(r)
}

fn decode(d: TranslationRow) -> Result<Translation> {
    d.decode()
}

pub(super) fn put(store: &SqliteStore, t: &Translation) -> Result<()> {
    store.write().execute(
        "INSERT INTO translations (article_id, lang, from_lang, provider, label, status, title, html,
           text, engine_text, reasons, findings, error, attempts, next_attempt, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
         ON CONFLICT (article_id, lang) DO UPDATE SET from_lang = excluded.from_lang,
           provider = excluded.provider, label = excluded.label, status = excluded.status,
           title = excluded.title, html = excluded.html, text = excluded.text,
           engine_text = excluded.engine_text, reasons = excluded.reasons,
           findings = excluded.findings, error = excluded.error, attempts = excluded.attempts,
           next_attempt = excluded.next_attempt, updated_at = excluded.updated_at",
        params![
            t.article,
            t.lang,
            t.from,
            t.provider,
            t.label,
            t.status.as_str(),
            t.title,
            t.html,
            t.text,
            t.engine_text,
            json(&t.reasons)?,
            json(&t.findings)?,
            t.error,
            t.attempts,
            t.next_attempt.map(ts),
            ts(t.updated_at),
        ],
    )?;
    Ok(())
}

pub(super) fn one(
    store: &SqliteStore,
    article: ArticleId,
    lang: &str,
) -> Result<Option<Translation>> {
    let c = store.read();
    let r = c
        .query_row(
            &format!("SELECT {COLS} FROM translations t JOIN articles a ON a.id = t.article_id WHERE t.article_id = ?1 AND t.lang = ?2"),
            params![article, lang],
            row,
        )
        .optional()?;
    drop(c);
    r.map(decode).transpose()
}

pub(super) fn of_article(store: &SqliteStore, article: ArticleId) -> Result<Vec<Translation>> {
    let c = store.read();
    let mut st = c.prepare_cached(&format!(
        "SELECT {COLS} FROM translations t JOIN articles a ON a.id = t.article_id WHERE t.article_id = ?1 ORDER BY t.lang"
    ))?;
    let rows = st
        .query_map([article], row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter().map(decode).collect()
}

pub(super) fn list(store: &SqliteStore, q: &TranslationQuery) -> Result<Vec<Translation>> {
    let mut sql = format!("SELECT {COLS} FROM translations t JOIN articles a ON a.id = t.article_id WHERE a.status = 'ready'");
    let mut args: Vec<rusqlite::types::Value> = Vec::new();
    if let Some(l) = &q.lang {
        args.push(l.clone().into());
        sql.push_str(&format!(" AND t.lang = ?{}", args.len()));
    }
    if let Some(s) = q.status {
        args.push(s.as_str().to_string().into());
        sql.push_str(&format!(" AND t.status = ?{}", args.len()));
    }
    if let Some(src) = q.source {
        args.push(src.into());
        sql.push_str(&format!(" AND a.source_id = ?{}", args.len()));
    }
    sql.push_str(&format!(
        " ORDER BY a.published_at DESC, t.article_id DESC LIMIT {} OFFSET {}",
        q.limit.clamp(1, 500),
        q.offset
    ));
    let c = store.read();
    let mut st = c.prepare(&sql)?;
    let rows = st
        .query_map(rusqlite::params_from_iter(args), row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    drop(st);
    drop(c);
    rows.into_iter().map(decode).collect()
}

pub(super) fn counts(store: &SqliteStore) -> Result<Vec<(String, String, i64)>> {
    let c = store.read();
    let mut st = c.prepare_cached(
        "SELECT lang, status, COUNT(*) FROM translations GROUP BY lang, status ORDER BY lang, status",
    )?;
    let rows = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

pub(super) fn reserve(
    store: &SqliteStore,
    provider: &str,
    day: &str,
    chars: u64,
    limit: Option<u64>,
) -> Result<bool> {
    let c = store.write();
    // One statement: the check and the addition cannot be split by another writer.
    let n = c.execute(
        "INSERT INTO translation_usage (provider, day, chars) SELECT ?1, ?2, ?3 WHERE ?4 IS NULL OR ?3 <= ?4
         ON CONFLICT (provider, day) DO UPDATE SET chars = chars + excluded.chars
         WHERE ?4 IS NULL OR translation_usage.chars + excluded.chars <= ?4",
        params![provider, day, chars as i64, limit.map(|l| l as i64)],
    )?;
    Ok(n > 0)
}

pub(super) fn spent(store: &SqliteStore, provider: &str, day: &str) -> Result<u64> {
    let c = store.read();
    let n: Option<i64> = c
        .query_row(
            "SELECT chars FROM translation_usage WHERE provider = ?1 AND day = ?2",
            params![provider, day],
            |r| r.get(0),
        )
        .optional()?;
    Ok(n.unwrap_or(0).max(0) as u64)
}

pub(super) fn recall(
    store: &SqliteStore,
    provider: &str,
    from: &str,
    to: &str,
    keys: &[String],
) -> Result<HashMap<String, String>> {
    let c = store.read();
    let mut st = c.prepare_cached(
        "SELECT text FROM translation_memory WHERE provider = ?1 AND from_lang = ?2 AND to_lang = ?3 AND key = ?4",
    )?;
    let mut out = HashMap::new();
    for k in keys {
        if let Some(t) = st
            .query_row(params![provider, from, to, k], |r| r.get::<_, String>(0))
            .optional()?
        {
            out.insert(k.clone(), t);
        }
    }
    Ok(out)
}

pub(super) fn remember(
    store: &SqliteStore,
    provider: &str,
    from: &str,
    to: &str,
    items: &[(String, String)],
    now: DateTime<Utc>,
) -> Result<()> {
    let mut c = store.write();
    let tx = c.transaction()?;
    {
        let mut st = tx.prepare_cached(
            "INSERT INTO translation_memory (provider, from_lang, to_lang, key, text, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO UPDATE SET text = excluded.text",
        )?;
        for (k, t) in items {
            st.execute(params![provider, from, to, k, t, ts(now)])?;
        }
    }
    tx.commit()?;
    Ok(())
}

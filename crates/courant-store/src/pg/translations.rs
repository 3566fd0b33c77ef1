//! Translations, the translation memory and the characters sent per day.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use courant_model::{ArticleId, Translation};

use crate::rows::{json, translation_row, ts};
use crate::{Result, TranslationQuery};

use super::{refs, Args, PgStore};

const COLS: &str =
    "t.article_id, a.source_id, a.published_at, t.lang, t.from_lang, t.provider, t.label,
    t.status, t.title, t.html, t.text, t.engine_text, t.reasons, t.findings, t.error, t.attempts,
    t.next_attempt, t.updated_at";

fn decode(r: &postgres::Row) -> Result<Translation> {
    translation_row(r)?.decode()
}

fn query(store: &PgStore, sql: &str, args: &Args) -> Result<Vec<Translation>> {
    store.with(|c| c.query(sql, &refs(args))?.iter().map(decode).collect())
}

pub(super) fn put(store: &PgStore, t: &Translation) -> Result<()> {
    let (reasons, findings) = (json(&t.reasons)?, json(&t.findings)?);
    store.with(|c| {
        c.execute(
            "INSERT INTO translations (article_id, lang, from_lang, provider, label, status, title, html,
               text, engine_text, reasons, findings, error, attempts, next_attempt, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
             ON CONFLICT (article_id, lang) DO UPDATE SET from_lang = excluded.from_lang,
               provider = excluded.provider, label = excluded.label, status = excluded.status,
               title = excluded.title, html = excluded.html, text = excluded.text,
               engine_text = excluded.engine_text, reasons = excluded.reasons,
               findings = excluded.findings, error = excluded.error, attempts = excluded.attempts,
               next_attempt = excluded.next_attempt, updated_at = excluded.updated_at",
            &[
                &t.article,
                &t.lang,
                &t.from,
                &t.provider,
                &t.label,
                &t.status.as_str(),
                &t.title,
                &t.html,
                &t.text,
                &t.engine_text,
                &reasons,
                &findings,
                &t.error,
                &t.attempts,
                &t.next_attempt.map(ts),
                &ts(t.updated_at),
            ],
        )?;
        Ok(())
    })
}

pub(super) fn one(store: &PgStore, article: ArticleId, lang: &str) -> Result<Option<Translation>> {
    Ok(query(
        store,
        &format!(
            "SELECT {COLS} FROM translations t JOIN articles a ON a.id = t.article_id
             WHERE t.article_id = $1 AND t.lang = $2"
        ),
        &vec![Box::new(article), Box::new(lang.to_string())],
    )?
    .pop())
}

pub(super) fn of_article(store: &PgStore, article: ArticleId) -> Result<Vec<Translation>> {
    query(
        store,
        &format!(
            "SELECT {COLS} FROM translations t JOIN articles a ON a.id = t.article_id
             WHERE t.article_id = $1 ORDER BY t.lang"
        ),
        &vec![Box::new(article)],
    )
}

pub(super) fn list(store: &PgStore, q: &TranslationQuery) -> Result<Vec<Translation>> {
    let mut sql = format!(
        "SELECT {COLS} FROM translations t JOIN articles a ON a.id = t.article_id WHERE a.status = 'ready'"
    );
    let mut args: Args = Vec::new();
    if let Some(l) = &q.lang {
        args.push(Box::new(l.clone()));
        sql.push_str(&format!(" AND t.lang = ${}", args.len()));
    }
    if let Some(s) = q.status {
        args.push(Box::new(s.as_str().to_string()));
        sql.push_str(&format!(" AND t.status = ${}", args.len()));
    }
    if let Some(src) = q.source {
        args.push(Box::new(src));
        sql.push_str(&format!(" AND a.source_id = ${}", args.len()));
    }
    sql.push_str(&format!(
        " ORDER BY a.published_at DESC, t.article_id DESC LIMIT {} OFFSET {}",
        q.limit.clamp(1, 500),
        q.offset
    ));
    query(store, &sql, &args)
}

pub(super) fn counts(store: &PgStore) -> Result<Vec<(String, String, i64)>> {
    store.with(|c| {
        c.query(
            "SELECT lang, status, COUNT(*) FROM translations GROUP BY lang, status ORDER BY lang, status",
            &[],
        )?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
        .collect()
    })
}

pub(super) fn reserve(
    store: &PgStore,
    provider: &str,
    day: &str,
    chars: u64,
    limit: Option<u64>,
) -> Result<bool> {
    let (chars, limit) = (chars as i64, limit.map(|l| l as i64));
    store.with(|c| {
        // One statement: the check and the addition cannot be split.
        let n = c.execute(
            "INSERT INTO translation_usage (provider, day, chars)
             SELECT $1::text, $2::text, $3::bigint WHERE $4::bigint IS NULL OR $3::bigint <= $4::bigint
             ON CONFLICT (provider, day) DO UPDATE SET chars = translation_usage.chars + excluded.chars
             WHERE $4::bigint IS NULL OR translation_usage.chars + excluded.chars <= $4::bigint",
            &[&provider, &day, &chars, &limit],
        )?;
        Ok(n > 0)
    })
}

pub(super) fn spent(store: &PgStore, provider: &str, day: &str) -> Result<u64> {
    store.with(|c| {
        let n: Option<i64> = c
            .query_opt(
                "SELECT chars FROM translation_usage WHERE provider = $1 AND day = $2",
                &[&provider, &day],
            )?
            .map(|r| r.try_get(0))
            .transpose()?;
        Ok(n.unwrap_or(0).max(0) as u64)
    })
}

pub(super) fn recall(
    store: &PgStore,
    provider: &str,
    from: &str,
    to: &str,
    keys: &[String],
) -> Result<HashMap<String, String>> {
    store.with(|c| {
        c.query(
            "SELECT key, text FROM translation_memory
             WHERE provider = $1 AND from_lang = $2 AND to_lang = $3 AND key = ANY($4)",
            &[&provider, &from, &to, &keys],
        )?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect()
    })
}

pub(super) fn remember(
    store: &PgStore,
    provider: &str,
    from: &str,
    to: &str,
    items: &[(String, String)],
    now: DateTime<Utc>,
) -> Result<()> {
    store.with(|c| {
        let mut tx = c.transaction()?;
        let st = tx.prepare(
            "INSERT INTO translation_memory (provider, from_lang, to_lang, key, text, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (provider, from_lang, to_lang, key) DO UPDATE SET text = excluded.text",
        )?;
        for (k, t) in items {
            tx.execute(&st, &[&provider, &from, &to, k, t, &ts(now)])?;
        }
        tx.commit()?;
        Ok(())
    })
}

//! Job: translate what each edition's readers would otherwise miss. For each
//! configured target language, the top stories with no article in that
//! language (each from its original, once), and every article of the
//! sources named for it; each through the first provider that offers the
//! pair, then the [`gate`]. A translation that passes is published; one that
//! fails is held back with its reasons; an engine failure is retried later
//! with backoff. The original article is never written.

pub mod gate;
mod pick;
mod setup;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use courant_model::{Article, Translation, TranslationStatus};
use courant_translate::document;
use futures_util::StreamExt as _;

pub use setup::{Provider, StoreLedger, Target, Translate};

use crate::{blocking, Context};
use pick::candidates;

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TranslateReport {
    /// Translations published.
    pub published: usize,
    /// Translations held back by the gate.
    pub held: usize,
    /// Engine failures (retried later).
    pub failed: usize,
    /// Characters sent to engines.
    pub chars_sent: u64,
    /// Segments answered from the translation memory.
    pub memory_hits: usize,
    /// Segments in all.
    pub segments: usize,
    /// Characters of all segments: what sending them without the memory would cost.
    pub segment_chars: u64,
    /// Time spent waiting for engines.
    pub engine_time: Duration,
    /// Time spent on articles, engine waits included (summed over concurrent ones).
    pub article_time: Duration,
    /// Of that, time spent sanitizing and judging translations (the gate).
    pub gate_time: Duration,
}

/// How one article's translation ended.
#[derive(Debug)]
struct Done {
    status: TranslationStatus,
    cost: courant_translate::Translated,
    took: Duration,
    gate: Duration,
}

/// One pass over every target. Never fails because of one article or
/// provider: their errors are recorded on the translation.
pub async fn pass(
    ctx: &Context,
    tr: &Arc<Translate>,
    now: DateTime<Utc>,
) -> anyhow::Result<TranslateReport> {
    let mut report = TranslateReport::default();
    for target in &tr.targets {
        let work = candidates(ctx, tr, target, now).await?;
        let results: Vec<anyhow::Result<Option<Done>>> = futures_util::stream::iter(work)
            .map(|(art, p, attempts)| {
                let (ctx, tr, target) = (ctx.clone(), tr.clone(), target.clone());
                async move { one(&ctx, &tr, p, &art, attempts, &target, Utc::now()).await }
            })
            .buffer_unordered(tr.concurrency.max(1))
            .collect()
            .await;
        for r in results {
            match r {
                Ok(Some(d)) => {
                    match d.status {
                        TranslationStatus::Published => report.published += 1,
                        TranslationStatus::Held => report.held += 1,
                        TranslationStatus::Failed => report.failed += 1,
                    }
                    report.chars_sent += d.cost.chars_sent;
                    report.memory_hits += d.cost.memory_hits;
                    report.segments += d.cost.texts.len();
                    report.engine_time += d.cost.engine_time;
                    report.segment_chars += d.cost.segment_chars;
                    report.article_time += d.took;
                    report.gate_time += d.gate;
                }
                Ok(None) => {}
                Err(e) => tracing::error!(error = format!("{e:#}"), "translation job failed"),
            }
        }
    }
    Ok(report)
}

/// Translates one article, judges it and stores the outcome.
async fn one(
    ctx: &Context,
    tr: &Translate,
    p: usize,
    art: &Article,
    attempts: i64,
    target: &Target,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<Done>> {
    let (Some(processed), Some(from)) = (art.processed.as_ref(), art.lang()) else {
        return Ok(None);
    };
    let started = std::time::Instant::now();
    let provider = &tr.providers[p];
    let to = target.lang.as_str();
    let terms = gate::terms(
        &format!("{}\n\n{}", processed.title, processed.text),
        from,
        &tr.keep,
        &target.glossary,
        &ctx.lexicons,
    );
    let mut t = Translation {
        article: art.id,
        source_id: art.source_id,
        published: art.published(),
        lang: to.to_string(),
        from: from.to_string(),
        provider: provider.config.name.clone(),
        label: provider.config.label(),
        status: TranslationStatus::Failed,
        title: String::new(),
        html: String::new(),
        text: String::new(),
        engine_text: String::new(),
        reasons: Vec::new(),
        findings: Vec::new(),
        error: None,
        attempts: attempts + 1,
        next_attempt: None,
        updated_at: now,
    };
    let result = document::translate(
        &provider.engine,
        from,
        to,
        art.title(),
        &processed.html,
        &terms,
    )
    .await;
    let mut gate_time = Duration::ZERO;
    let cost = match result {
        Ok(doc) => {
            let gate_started = std::time::Instant::now();
            let base = processed.canonical_url.as_deref().or(art.url.as_deref());
            let f = gate::finish(
                &doc,
                art.title(),
                &processed.text,
                from,
                to,
                base,
                &ctx.lexicons,
            );
            t.status = if f.verdict.reasons.is_empty() {
                TranslationStatus::Published
            } else {
                TranslationStatus::Held
            };
            (t.title, t.html, t.text, t.engine_text) = (f.title, f.html, f.text, f.engine_text);
            (t.reasons, t.findings) = (f.verdict.reasons, f.verdict.findings);
            gate_time = gate_started.elapsed();
            doc.cost
        }
        Err(e) => {
            let wait = if e.is_budget() {
                // Budgets and quotas renew with the day.
                let tomorrow = (now + chrono::Duration::days(1)).date_naive();
                tomorrow
                    .and_hms_opt(0, 5, 0)
                    .map(|d| d.and_utc() - now)
                    .unwrap_or(chrono::Duration::hours(24))
            } else {
                chrono::Duration::minutes(2i64.saturating_pow(t.attempts.clamp(1, 9) as u32 - 1))
                    .min(chrono::Duration::hours(6))
            };
            t.next_attempt = Some(now + wait);
            t.error = Some(e.full());
            tracing::warn!(article = art.id, to, provider = %provider.config.name, error = %e.full(), "translation failed; retried later");
            courant_translate::Translated::default()
        }
    };
    metrics::counter!("courant_translations_total", "lang" => to.to_string(), "status" => t.status.as_str())
        .increment(1);
    let status = t.status;
    blocking(&ctx.store, move |s| s.put_translation(&t)).await?;
    Ok(Some(Done {
        status,
        cost,
        took: started.elapsed(),
        gate: gate_time,
    }))
}

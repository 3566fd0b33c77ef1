//! Job: translate what each edition's readers would otherwise miss. For each
//! configured target language, the top stories with no article in that
//! language (each from its original, once), and every article of the
//! sources named for it; each through the first provider that offers the
//! pair, then the [`gate`]. A translation that passes is published; one that
//! fails is held back with its reasons; an engine failure is retried later
//! with backoff. The original article is never written.

pub mod gate;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use courant_model::{Article, ArticleId, Translation, TranslationStatus};
use courant_store::{ArticleQuery, Store, StoryQuery};
use courant_translate::protect::Terms;
use courant_translate::{document, Engine, Ledger, ProviderConfig};
use futures_util::StreamExt as _;
use serde::Deserialize;

use crate::{blocking, Context};

/// One edition to translate into (`[[translate.targets]]`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// Target language (ISO 639-1).
    pub lang: String,
    /// Languages to translate from; empty: any the provider offers.
    #[serde(default)]
    pub from: Vec<String>,
    /// How many of the top stories to carry into the edition.
    #[serde(default = "default_top")]
    pub top_stories: usize,
    /// Feed URLs (or names) of sources whose every article is translated.
    #[serde(default)]
    pub sources: Vec<String>,
    /// Provider to use; the first that offers the pair when absent.
    #[serde(default)]
    pub provider: Option<String>,
    /// Terms and their rendering in this language ("White House" = "Casa Blanca").
    #[serde(default)]
    pub glossary: BTreeMap<String, String>,
}

fn default_top() -> usize {
    20
}

/// A configured provider with its engine.
#[derive(Debug)]
pub struct Provider {
    /// As configured.
    pub config: ProviderConfig,
    /// The backend behind the shared layer.
    pub engine: Engine,
}

/// Everything the translation job needs.
#[derive(Debug)]
pub struct Translate {
    /// Providers, in order of preference.
    pub providers: Vec<Provider>,
    /// Editions to fill.
    pub targets: Vec<Target>,
    /// Names never translated, besides the ones found in each text.
    pub keep: Vec<String>,
    /// Articles translated at once.
    pub concurrency: usize,
}

impl Translate {
    /// Engines for the providers, with the store as their ledger.
    pub fn new(
        providers: &[ProviderConfig],
        targets: Vec<Target>,
        keep: Vec<String>,
        store: Arc<dyn Store>,
    ) -> Result<Translate, courant_translate::Error> {
        let ledger: Arc<dyn Ledger> = Arc::new(StoreLedger(store));
        let providers = providers
            .iter()
            .map(|c| {
                Ok(Provider {
                    config: c.clone(),
                    engine: c.engine(ledger.clone())?,
                })
            })
            .collect::<Result<_, courant_translate::Error>>()?;
        Ok(Translate {
            providers,
            targets,
            keep,
            concurrency: 2,
        })
    }
}

/// The store as the engines' ledger (budget and memory).
pub struct StoreLedger(pub Arc<dyn Store>);

impl Ledger for StoreLedger {
    fn reserve(
        &self,
        provider: &str,
        day: chrono::NaiveDate,
        chars: u64,
        limit: Option<u64>,
    ) -> Result<bool, courant_translate::ledger::LedgerError> {
        Ok(self
            .0
            .reserve_chars(provider, &day.to_string(), chars, limit)?)
    }

    fn spent(
        &self,
        provider: &str,
        day: chrono::NaiveDate,
    ) -> Result<u64, courant_translate::ledger::LedgerError> {
        Ok(self.0.chars_spent(provider, &day.to_string())?)
    }

    fn recall(
        &self,
        provider: &str,
        from: &str,
        to: &str,
        keys: &[String],
    ) -> Result<std::collections::HashMap<String, String>, courant_translate::ledger::LedgerError>
    {
        Ok(self.0.recall_segments(provider, from, to, keys)?)
    }

    fn remember(
        &self,
        provider: &str,
        from: &str,
        to: &str,
        items: &[(String, String)],
    ) -> Result<(), courant_translate::ledger::LedgerError> {
        Ok(self
            .0
            .remember_segments(provider, from, to, items, Utc::now())?)
    }
}

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

/// Articles to translate into `target` now, each with its provider.
async fn candidates(
    ctx: &Context,
    tr: &Translate,
    target: &Target,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<(Article, usize, i64)>> {
    let (t, top) = (target.clone(), target.top_stories);
    let picked: Vec<(Article, i64)> = blocking(&ctx.store, move |s| {
        let mut out: Vec<Article> = Vec::new();
        let mut stories = s.stories(&StoryQuery {
            limit: (top * 5).clamp(50, 500),
            ..StoryQuery::default()
        })?;
        courant_store::policy::rank_stories(&mut stories, now);
        // The top stories the edition's readers would miss: the first `top`
        // of the ranking that have no article in the edition's language and
        // an original in a language to translate from.
        let mut taken = 0;
        for story in stories {
            if taken >= top {
                break;
            }
            let members = s.story_members(story.id, 100)?;
            // Readers of the edition already have this story.
            if members.iter().any(|a| a.lang() == Some(t.lang.as_str())) {
                continue;
            }
            // The original: the story's lead if it is one, else its oldest original.
            let original = members
                .iter()
                .filter(|a| a.duplicate_of.is_none() && from_ok(&t, a))
                .min_by_key(|a| (Some(a.id) != story.lead_article, a.published()));
            if let Some(a) = original.and_then(|a| s.article(a.id).transpose()) {
                out.push(a?);
                taken += 1;
            }
        }
        let sources = s.sources()?;
        for name in &t.sources {
            let Some(src) = sources
                .iter()
                .find(|x| &x.feed_url == name || &x.name == name)
            else {
                continue;
            };
            let q = ArticleQuery {
                source: Some(src.id),
                limit: 500,
                ..ArticleQuery::default()
            };
            out.extend(
                s.articles(&q)?
                    .into_iter()
                    .filter(|a| from_ok(&t, a) && a.duplicate_of.is_none()),
            );
        }
        let mut seen = HashSet::new();
        out.retain(|a| seen.insert(a.id));
        // What was done, or failed and waits for its retry, is left alone.
        let mut todo = Vec::new();
        for a in out {
            match s.translation(a.id, &t.lang)? {
                None => todo.push((a, 0)),
                Some(x)
                    if x.status == TranslationStatus::Failed
                        && x.next_attempt.is_none_or(|n| n <= now) =>
                {
                    todo.push((a, x.attempts))
                }
                Some(_) => {}
            }
        }
        Ok(todo)
    })
    .await?;
    Ok(picked
        .into_iter()
        .filter_map(|(a, attempts)| {
            let from = a.lang()?.to_string();
            let p = tr.providers.iter().position(|p| {
                target.provider.as_ref().is_none_or(|n| n == &p.config.name)
                    && p.config.offers(&from, &target.lang)
            })?;
            Some((a, p, attempts))
        })
        .collect())
}

fn from_ok(t: &Target, a: &Article) -> bool {
    a.processed.is_some()
        && a.lang().is_some_and(|l| {
            l != t.lang && l != "und" && (t.from.is_empty() || t.from.iter().any(|f| f == l))
        })
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
    let mut keep = courant_clean::names(
        &format!("{}\n\n{}", processed.title, processed.text),
        from,
        &ctx.lexicons,
    );
    keep.extend(tr.keep.iter().cloned());
    let glossary: Vec<(String, String)> = target
        .glossary
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let terms = Terms::new(&keep, &glossary);
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
            let engine_html = courant_extract::sanitize::html(&doc.html, base);
            // The sanitizer's output is well-formed: a scan reads its text.
            let engine_text = courant_translate::segment::plain_text(&engine_html);
            let title = doc.title(|h| courant_extract::sanitize::html(h, None));
            let title = courant_clean::clean(&title, Some(to), &ctx.lexicons).0;
            let verdict = gate::judge(
                gate::Candidate {
                    source_title: art.title(),
                    source_text: &processed.text,
                    from,
                    title: &title,
                    text: &engine_text,
                    to,
                    problems: &doc.problems,
                },
                &ctx.lexicons,
            );
            t.status = if verdict.reasons.is_empty() {
                TranslationStatus::Published
            } else {
                TranslationStatus::Held
            };
            // The safe repairs, kept apart from the engine's text; most
            // translations need none, and skip the second sanitizing pass.
            let (html, text) = if verdict.findings.iter().any(|f| f.applied) {
                let spans: Vec<&str> = verdict
                    .findings
                    .iter()
                    .filter(|f| f.applied)
                    .map(|f| f.span.as_str())
                    .collect();
                let html = courant_extract::sanitize::html(
                    &gate::repair_html(&engine_html, to, &spans, &ctx.lexicons),
                    base,
                );
                let text = courant_translate::segment::plain_text(&html);
                (html, text)
            } else {
                (engine_html, engine_text.clone())
            };
            (t.title, t.html, t.text, t.engine_text) = (title, html, text, engine_text);
            (t.reasons, t.findings) = (verdict.reasons, verdict.findings);
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

/// Ids of articles a pass would translate into `lang`, for tests and reports.
pub async fn pending(
    ctx: &Context,
    tr: &Arc<Translate>,
    lang: &str,
) -> anyhow::Result<Vec<ArticleId>> {
    let Some(t) = tr.targets.iter().find(|t| t.lang == lang) else {
        return Ok(Vec::new());
    };
    Ok(candidates(ctx, tr, t, Utc::now())
        .await?
        .into_iter()
        .map(|(a, _, _)| a.id)
        .collect())
}

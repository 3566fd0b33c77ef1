//! The orchestrators: one per job, each joining I/O at the edges (fetch,
//! store) with the pure stages (parse, extract, assemble).
//!
//! - [`poll_source`]: fetch a feed, parse it, store new entries, record health.
//! - [`process_article`]: fetch the page, extract, assemble, store.
//! - [`stories::StoryWorker`]: places ready articles into stories, one worker
//!   at a time (a store lease fences the writes).
//! - [`search::sync`]: indexes placed articles for search, in placement order.
//! - [`Scheduler`]: runs them all forever, bounded, until shut down.
//! - [`ingest_all`]: poll every source now and process everything (the demo's first run).
//!
//! Invariant: a job never fails the scheduler. Every error ends up attached to
//! its source or article, and the other sources go on.
//!
//! # In detail
//!
//! The pure `assemble` step turns a feed entry and an extracted page into a
//! `ProcessedArticle`; `assemble::clean` runs the checker (keeps
//! `original_text`, stores findings, shows the repaired text).
//! `stories::StoryWorker` places ready articles into stories: it takes the `stories` lease, replays decisions it has not
//! seen (`placed_since`), places up to 500 unclustered articles in publication
//! order and writes them; when fewer than 500 were waiting it also settles (the
//! second look), so a quiet source's unsure placements do not wait for the next
//! articles. `search::sync` brings the search index up to the store: it reads
//! placements after the index's last one (`placed_since`), 2,000 at a time, and
//! commits each batch with its position; an index that follows another store
//! (its instance id) is emptied first. The scheduler runs it every second
//! beside the story job; `ingest_all` runs it at the end.
#![warn(missing_docs)]

pub mod assemble;
pub mod pages;
pub mod rhythm;
mod scheduler;
pub mod search;
pub mod stories;
pub mod translate;
pub mod websub;

#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use courant_fetch::{Fetcher, Outcome, Validators};
use courant_model::{Article, Source};
use courant_store::{ArticleOutcome, PollRecord, PollResult, Store};

pub use scheduler::{ingest_all, Duties, Event, IngestReport, Scheduler};

/// Settings for the jobs.
#[derive(Debug, Clone)]
pub struct JobSettings {
    /// Time between polls of a healthy source whose entries show no rhythm
    /// (see [`rhythm`]).
    pub poll_interval: Duration,
    /// Shortest time between two polls of a source.
    pub min_poll_interval: Duration,
    /// Longest time between two polls that a feed's rhythm gives.
    pub max_poll_interval: Duration,
    /// Longest wait after repeated failures.
    pub max_backoff: Duration,
    /// Sources polled at once.
    pub poll_concurrency: usize,
    /// Article pages fetched at once.
    pub article_concurrency: usize,
    /// Attempts before a failing article page is given up.
    pub max_attempts: i64,
    /// How long a claimed article stays reserved for its worker; renewed
    /// every third of it while the work goes on.
    pub lease: Duration,
    /// Longest time one article may take, fetch and extraction together;
    /// past it the attempt ends as a retry.
    pub article_budget: Duration,
    /// How often a shown article's page is looked at again for changes the
    /// feed does not announce.
    pub page_recheck: Duration,
    /// How long after first sight pages are looked at again; news pages
    /// change in their first days, rarely later.
    pub page_recheck_window: Duration,
    /// WebSub callback base (the public URL + `/websub`); `None`: no WebSub.
    pub websub_callback: Option<String>,
    /// Least time between two polls of one host, across every worker
    /// sharing the store (the fetcher's per-host interval).
    pub host_gap: Duration,
}

impl Default for JobSettings {
    fn default() -> Self {
        JobSettings {
            poll_interval: Duration::from_secs(15 * 60),
            min_poll_interval: Duration::from_secs(5 * 60),
            max_poll_interval: Duration::from_secs(4 * 3600),
            max_backoff: Duration::from_secs(6 * 3600),
            poll_concurrency: 4,
            article_concurrency: 8,
            max_attempts: 4,
            lease: Duration::from_secs(60),
            article_budget: Duration::from_secs(120),
            page_recheck: Duration::from_secs(3 * 3600),
            page_recheck_window: Duration::from_secs(48 * 3600),
            websub_callback: None,
            host_gap: Duration::from_secs(1),
        }
    }
}

/// What the jobs share.
#[derive(Clone)]
pub struct Context {
    /// Storage.
    pub store: Arc<dyn Store>,
    /// HTTP client.
    pub fetcher: Fetcher,
    /// Settings.
    pub settings: JobSettings,
    /// Word knowledge for the text checker.
    pub lexicons: Arc<courant_clean::Lexicons>,
    /// The search index this process keeps in step, if it serves search.
    pub search: Option<Arc<courant_search::SearchIndex>>,
    /// Translation into the configured editions, when configured.
    pub translate: Option<Arc<translate::Translate>>,
    /// The multilingual embedding model, when present: stories are then
    /// linked across languages.
    pub embedder: Option<Arc<courant_embed::Usem>>,
}

/// Runs blocking store work off the async threads.
async fn blocking<T: Send + 'static>(
    store: &Arc<dyn Store>,
    f: impl FnOnce(&dyn Store) -> courant_store::Result<T> + Send + 'static,
) -> anyhow::Result<T> {
    let store = store.clone();
    Ok(tokio::task::spawn_blocking(move || f(store.as_ref())).await??)
}

/// Backoff after `failures` failures in a row: interval × 2^(failures-1), capped.
pub fn backoff(settings: &JobSettings, failures: i64) -> Duration {
    let factor = 2u32.saturating_pow(failures.clamp(1, 20) as u32 - 1);
    settings
        .poll_interval
        .saturating_mul(factor)
        .min(settings.max_backoff)
}

/// When an article page that failed for now is tried again: a quarter of
/// a source's backoff, since a page is cheaper than a feed.
fn retry_at(ctx: &Context, attempts: i64) -> DateTime<Utc> {
    later(Utc::now(), backoff(&ctx.settings, attempts) / 4)
}

fn later(now: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    now + chrono::Duration::from_std(d).unwrap_or_else(|_| chrono::Duration::hours(1))
}

/// What one poll did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PollReport {
    /// Entries in the feed.
    pub entries: usize,
    /// Entries not seen before.
    pub new: usize,
    /// 304 Not Modified.
    pub not_modified: bool,
    /// The error attached to the source, if the poll failed.
    pub error: Option<String>,
}

/// Job: polls one source and records the result on it.
pub async fn poll_source(
    ctx: &Context,
    source: &Source,
    now: DateTime<Utc>,
) -> anyhow::Result<PollReport> {
    let validators = Validators {
        etag: source.health.etag.clone(),
        last_modified: source.health.last_modified.clone(),
    };
    let mut report = PollReport::default();
    let rhythm = rhythm::Rhythm {
        min: ctx.settings.min_poll_interval,
        max: ctx.settings.max_poll_interval,
        default: ctx.settings.poll_interval,
    };
    // Unchanged feed: keep the interval the last poll chose.
    let mut next_ok = match (source.health.last_fetch_at, source.health.next_poll_at) {
        (Some(at), Some(next)) if next > at && source.health.consecutive_failures == 0 => {
            let kept = (next - at).to_std().unwrap_or(rhythm.default);
            Some(later(now, rhythm.bound(kept)))
        }
        _ => None,
    };
    let result = match ctx.fetcher.get(&source.feed_url, &validators).await {
        Ok(Outcome::NotModified) => {
            report.not_modified = true;
            PollResult::Ok {
                title: None,
                site_url: None,
                etag: None,
                last_modified: None,
                warning: None,
            }
        }
        Ok(Outcome::Fetched(resp)) => {
            let base = resp.final_url.clone();
            let body = resp.body.clone();
            let ct = resp.content_type.clone();
            let parsed = tokio::task::spawn_blocking(move || {
                courant_feed::parse(&body, Some(&base))
                    .or_else(|e| section_page(&body, ct.as_deref(), &base).ok_or(e))
            })
            .await?;
            match parsed {
                Ok(feed) => {
                    report.entries = feed.entries.len();
                    let dates: Vec<_> = feed
                        .entries
                        .iter()
                        .filter_map(|e| e.published.or(e.updated))
                        .collect();
                    next_ok = Some(rhythm::next_poll(
                        now,
                        &dates,
                        &feed.hints,
                        resp.fresh_for,
                        &rhythm,
                    ));
                    if let (Some(callback), Some(hub)) =
                        (ctx.settings.websub_callback.as_deref(), feed.hub.as_deref())
                    {
                        let topic = feed.self_url.as_deref().unwrap_or(&resp.final_url);
                        match websub::subscribe(ctx, callback, source, hub, topic, now).await {
                            Ok(true) => {
                                tracing::info!(source = %source.name, hub, "WebSub subscription asked for")
                            }
                            Ok(false) => {}
                            Err(e) => {
                                tracing::warn!(source = %source.name, hub, error = format!("{e:#}"), "WebSub subscription failed; polling goes on")
                            }
                        }
                    }
                    let id = source.id;
                    let entries = feed.entries;
                    // A store that cannot take the entries (a full disk) fails
                    // the poll like a fetch error would: with backoff, and the
                    // validators unchanged so the entries come again.
                    match blocking(&ctx.store, move |s| s.insert_entries(id, &entries, now)).await {
                        Ok(new) => {
                            report.new = new;
                            let mut warnings = feed.warnings;
                            // A feed that now lives elsewhere (or a host that
                            // sends every feed to one page) says so on its source.
                            let asked = url::Url::parse(source.feed_url.trim())
                                .map(|u| u.to_string())
                                .unwrap_or_default();
                            if resp.final_url != asked {
                                warnings
                                    .push(format!("the feed was served from {}", resp.final_url));
                            }
                            PollResult::Ok {
                                title: feed.title,
                                site_url: feed.site_url,
                                etag: resp.validators.etag,
                                last_modified: resp.validators.last_modified,
                                warning: (!warnings.is_empty()).then(|| warnings.join("; ")),
                            }
                        }
                        Err(e) => PollResult::Failed {
                            error: format!("store: {e:#}"),
                        },
                    }
                }
                Err(e) => PollResult::Failed {
                    error: format!("parse: {e}"),
                },
            }
        }
        Err(e) => PollResult::Failed {
            error: format!("{}: {e}", e.kind()),
        },
    };
    let outcome = match &result {
        PollResult::Ok { .. } => "ok",
        PollResult::Failed { .. } => "failed",
    };
    metrics::counter!("courant_polls_total", "outcome" => outcome).increment(1);
    metrics::counter!("courant_entries_new_total").increment(report.new as u64);
    let next = match &result {
        PollResult::Ok { .. } => next_ok.unwrap_or_else(|| later(now, rhythm.default)),
        PollResult::Failed { error } => {
            report.error = Some(error.clone());
            tracing::warn!(source = %source.feed_url, %error, "poll failed");
            later(
                now,
                backoff(&ctx.settings, source.health.consecutive_failures + 1),
            )
        }
    };
    let rec = PollRecord {
        at: now,
        next_poll_at: next,
        result,
    };
    let id = source.id;
    blocking(&ctx.store, move |s| s.record_poll(id, &rec)).await?;
    Ok(report)
}

/// A source that is an HTML section page, not a feed: its article links
/// are its entries (`courant_extract::article_links`). `None` when the body
/// is no HTML page or has no such links.
fn section_page(
    body: &[u8],
    content_type: Option<&str>,
    base: &str,
) -> Option<courant_feed::ParsedFeed> {
    let html = content_type.is_some_and(|t| t.contains("html"));
    if !html {
        return None;
    }
    let text = courant_fetch::decode(body, content_type).text;
    let links = courant_extract::article_links(&text, base);
    if links.is_empty() {
        return None;
    }
    let entries = links
        .into_iter()
        .map(|(url, title)| courant_model::FeedEntry {
            guid: url.clone(),
            url: Some(url),
            title,
            ..courant_model::FeedEntry::default()
        })
        .collect::<Vec<_>>();
    Some(courant_feed::ParsedFeed {
        warnings: vec![format!(
            "no feed here: following the page's {} article links",
            entries.len()
        )],
        entries,
        ..courant_feed::ParsedFeed::default()
    })
}

/// Job: fetches and processes one claimed article, and stores the outcome.
///
/// The claim is renewed while the work goes on, and the outcome is stored
/// only if the claim is still this worker's ([`Store::finish_claimed`]): a
/// worker that stalled past its lease never overwrites the next one's result.
pub async fn process_article(
    ctx: &Context,
    article: &Article,
    source_lang: Option<&str>,
) -> anyhow::Result<ArticleOutcome> {
    let start = std::time::Instant::now();
    let work = tokio::time::timeout(
        ctx.settings.article_budget,
        outcome_of(ctx, article, source_lang),
    );
    let (outcome, page) = match renewing(ctx, article, work).await {
        Ok(done) => done?,
        Err(_) => (
            ArticleOutcome::Retry {
                error: format!(
                    "budget: processing took longer than {} s",
                    ctx.settings.article_budget.as_secs()
                ),
                not_before: retry_at(ctx, article.attempts),
            },
            None,
        ),
    };
    let (id, attempt) = (article.id, article.attempts);
    let stored = outcome.clone();
    let kept = blocking(&ctx.store, move |s| s.finish_claimed(id, attempt, &stored)).await?;
    if !kept {
        tracing::warn!(
            article = id,
            "claim lost to another worker; result discarded"
        );
        metrics::counter!("courant_articles_discarded_total").increment(1);
        return Ok(outcome);
    }
    // A page shown as fetched is looked at again for a while (pages::recheck).
    if let (ArticleOutcome::Ready(p), Some(page)) = (&outcome, page) {
        if p.body_origin == "page" {
            blocking(&ctx.store, move |s| s.record_page(id, &page)).await?;
        }
    }
    let label = match &outcome {
        ArticleOutcome::Ready(_) => "ready",
        ArticleOutcome::Retry { .. } => "retry",
        ArticleOutcome::Failed { .. } => "failed",
    };
    metrics::counter!("courant_articles_processed_total", "outcome" => label).increment(1);
    metrics::histogram!("courant_process_seconds").record(start.elapsed().as_secs_f64());
    Ok(outcome)
}

/// Fetches the page, extracts and assembles the article: what one attempt
/// found, not yet stored, and the page as it was seen.
async fn outcome_of(
    ctx: &Context,
    article: &Article,
    source_lang: Option<&str>,
) -> anyhow::Result<(ArticleOutcome, Option<courant_store::PageState>)> {
    let mut inputs = assemble::Inputs {
        entry: Some(&article.entry),
        source_lang,
        ..assemble::Inputs::default()
    };
    let mut fetch_error = None;
    // robots.txt decides whether the page is fetched; when it says no, the
    // feed's own text is the article, marked so.
    let page_url = match article.url.as_deref() {
        Some(url) => match ctx.fetcher.robots(url).await {
            Ok(courant_fetch::Verdict::Allowed) => Some(url),
            Ok(courant_fetch::Verdict::Disallowed(why)) => {
                inputs
                    .warnings
                    .push(format!("{why}: the feed's text is shown"));
                None
            }
            Err(e) => {
                inputs.warnings.push(format!("page {}: {e}", e.kind()));
                fetch_error = Some(e);
                None
            }
        },
        None => None,
    };
    let mut seen = None;
    if let Some(url) = page_url {
        match ctx.fetcher.get(url, &Validators::default()).await {
            Ok(Outcome::Fetched(resp)) => {
                let final_url = resp.final_url.clone();
                let ct = resp.content_type.clone();
                let body = resp.body.clone();
                let (decoded, extracted) = tokio::task::spawn_blocking(move || {
                    let decoded = courant_fetch::decode(&body, ct.as_deref());
                    let extracted = courant_extract::article(&decoded.text, Some(&final_url));
                    (decoded, extracted)
                })
                .await?;
                if let Some(w) = decoded.warning {
                    inputs.warnings.push(w);
                }
                match extracted {
                    Ok(page) => {
                        seen = Some(pages::seen(ctx, article, &resp.validators, &page.text));
                        inputs.page = Some(page);
                    }
                    Err(e) => inputs.warnings.push(e.to_string()),
                }
                inputs.final_url = Some(resp.final_url);
            }
            Ok(Outcome::NotModified) => {}
            Err(e) => {
                inputs.warnings.push(format!("page {}: {e}", e.kind()));
                fetch_error = Some(e);
            }
        }
    }
    let assembled = assemble::assemble(inputs).map(|p| assemble::clean(p, &ctx.lexicons));
    let outcome = match (assembled, fetch_error) {
        // A transient page failure is retried before settling for the feed text.
        (_, Some(e)) if e.is_retriable() && article.attempts < ctx.settings.max_attempts => {
            ArticleOutcome::Retry {
                error: format!("{}: {e}", e.kind()),
                not_before: retry_at(ctx, article.attempts),
            }
        }
        (Some(p), _) => ArticleOutcome::Ready(Box::new(p)),
        (None, Some(e)) => ArticleOutcome::Failed {
            error: format!("{}: {e}", e.kind()),
        },
        (None, None) => ArticleOutcome::Failed {
            error: "no text in the page or the feed".into(),
        },
    };
    Ok((outcome, seen))
}

/// Runs `work` while renewing the claim on `article` every third of the
/// lease. A renewal that finds the claim gone is logged; the result is then
/// discarded at the end.
async fn renewing<T>(
    ctx: &Context,
    article: &Article,
    work: impl std::future::Future<Output = T>,
) -> T {
    let every = (ctx.settings.lease / 3).max(Duration::from_millis(100));
    let lease = ctx.settings.lease;
    tokio::pin!(work);
    loop {
        tokio::select! {
            out = &mut work => return out,
            () = tokio::time::sleep(every) => {
                let (id, attempt) = (article.id, article.attempts);
                let until = later(Utc::now(), lease);
                match blocking(&ctx.store, move |s| s.renew_claim(id, attempt, until)).await {
                    Ok(true) => {}
                    Ok(false) => tracing::warn!(article = id, "claim taken by another worker"),
                    Err(e) => tracing::warn!(article = id, error = format!("{e:#}"), "claim not renewed"),
                }
            }
        }
    }
}

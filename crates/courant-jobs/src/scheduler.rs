//! Runs the jobs: all at once for a first ingest, or forever on a schedule.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use courant_model::SourceId;
use courant_store::ArticleOutcome;
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;

use crate::stories::{cluster_pending, StoryWorker, LEASE, STORY_LEASE};
use crate::{blocking, poll_source, process_article, Context, PollReport};

/// Time between translation passes.
const TRANSLATE_EVERY: Duration = Duration::from_secs(30);
/// How often due pages are looked for; each page has its own time (`page_recheck`).
const RECHECK_EVERY: Duration = Duration::from_secs(60);

/// Progress of a run, for terminals and logs.
#[derive(Debug, Clone)]
pub enum Event {
    /// Polling starts for this many sources.
    PollStart(usize),
    /// One source was polled.
    Polled {
        /// Source name or URL.
        source: String,
        /// What the poll did.
        report: PollReport,
    },
    /// Processing starts; this many articles are pending.
    ProcessStart(usize),
    /// One article was processed; `ok` unless it failed for good.
    Processed {
        /// Ready (or retried later) rather than failed.
        ok: bool,
    },
}

/// Summary of [`ingest_all`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IngestReport {
    /// Sources polled.
    pub sources: usize,
    /// Sources whose poll failed, with the error.
    pub failed_sources: Vec<(String, String)>,
    /// New articles found in feeds.
    pub new_articles: usize,
    /// Articles made ready.
    pub ready: usize,
    /// Articles that failed for good.
    pub failed: usize,
    /// Articles left for a later retry.
    pub retrying: usize,
    /// Articles placed into stories.
    pub clustered: usize,
    /// Articles added to the search index.
    pub indexed: usize,
    /// What translation did, when configured.
    pub translation: crate::translate::TranslateReport,
}

/// Polls every source now, then processes every pending article once.
pub async fn ingest_all(
    ctx: &Context,
    on_event: impl Fn(Event) + Send + Sync + 'static,
) -> anyhow::Result<IngestReport> {
    let on_event = Arc::new(on_event);
    let sources = blocking(&ctx.store, |s| s.sources()).await?;
    let langs: Arc<HashMap<SourceId, Option<String>>> =
        Arc::new(sources.iter().map(|s| (s.id, s.lang.clone())).collect());
    let report = Arc::new(Mutex::new(IngestReport {
        sources: sources.len(),
        ..IngestReport::default()
    }));
    on_event(Event::PollStart(sources.len()));
    let permits = Arc::new(Semaphore::new(ctx.settings.poll_concurrency.max(1)));
    let mut set = JoinSet::new();
    for src in sources {
        let (ctx, permits, report, on_event) = (
            ctx.clone(),
            permits.clone(),
            report.clone(),
            on_event.clone(),
        );
        set.spawn(async move {
            let _permit = permits.acquire_owned().await;
            let r = poll_source(&ctx, &src, Utc::now()).await;
            let r = r.unwrap_or_else(|e| PollReport {
                error: Some(format!("internal: {e:#}")),
                ..PollReport::default()
            });
            if let Ok(mut rep) = report.lock() {
                rep.new_articles += r.new;
                if let Some(e) = &r.error {
                    rep.failed_sources.push((src.name.clone(), e.clone()));
                }
            }
            on_event(Event::Polled {
                source: if src.name.is_empty() {
                    src.feed_url.clone()
                } else {
                    src.name.clone()
                },
                report: r,
            });
        });
    }
    while set.join_next().await.is_some() {}

    let pending = blocking(&ctx.store, |s| s.counts()).await?.pending;
    on_event(Event::ProcessStart(pending as usize));
    let batch = ctx.settings.article_concurrency.max(1) * 4;
    loop {
        let lease = ctx.settings.lease.as_secs() as i64;
        let claimed = blocking(&ctx.store, move |s| {
            s.claim_pending(Utc::now(), lease, batch)
        })
        .await?;
        if claimed.is_empty() {
            break;
        }
        let permits = Arc::new(Semaphore::new(ctx.settings.article_concurrency.max(1)));
        let mut set = JoinSet::new();
        for a in claimed {
            let (ctx, permits, report, on_event, langs) = (
                ctx.clone(),
                permits.clone(),
                report.clone(),
                on_event.clone(),
                langs.clone(),
            );
            set.spawn(async move {
                let _permit = permits.acquire_owned().await;
                let lang = langs.get(&a.source_id).cloned().flatten();
                let outcome = process_article(&ctx, &a, lang.as_deref()).await;
                let ok = !matches!(outcome, Ok(ArticleOutcome::Failed { .. }) | Err(_));
                if let Ok(mut rep) = report.lock() {
                    match outcome {
                        Ok(ArticleOutcome::Ready(_)) => rep.ready += 1,
                        Ok(ArticleOutcome::Retry { .. }) => rep.retrying += 1,
                        _ => rep.failed += 1,
                    }
                }
                on_event(Event::Processed { ok });
            });
        }
        while set.join_next().await.is_some() {}
    }
    let worker = Arc::new(Mutex::new(
        StoryWorker::new(STORY_LEASE).with_embedder(ctx.embedder.clone()),
    ));
    let clustered = cluster_pending(&worker, &ctx.store).await?;
    release(ctx, &worker).await?;
    let indexed = index(ctx).await?;
    let translation = match &ctx.translate {
        Some(tr) => crate::translate::pass(ctx, tr, Utc::now()).await?,
        None => Default::default(),
    };
    let mut out = report.lock().map(|r| r.clone()).unwrap_or_default();
    out.clustered = clustered;
    out.indexed = indexed;
    out.translation = translation;
    Ok(out)
}

/// Brings the search index up to the store, off the async threads.
async fn index(ctx: &Context) -> anyhow::Result<usize> {
    let Some(index) = ctx.search.clone() else {
        return Ok(0);
    };
    let store = ctx.store.clone();
    tokio::task::spawn_blocking(move || crate::search::sync(store.as_ref(), &index)).await?
}

/// Gives the story lease up, so the next worker (a restart, `serve` after
/// `ingest`) need not wait for it to expire.
async fn release(ctx: &Context, worker: &Arc<Mutex<StoryWorker>>) -> anyhow::Result<()> {
    let holder = worker
        .lock()
        .map(|w| w.holder().to_string())
        .unwrap_or_default();
    blocking(&ctx.store, move |s| s.release_lease(LEASE, &holder)).await
}

/// Each source's language hint, read from the store when a claimed article
/// comes from a source not in it, or once a minute: the scheduler claims
/// work each time a job ends, too often to read every source each time.
#[derive(Default)]
struct Langs {
    map: HashMap<SourceId, Option<String>>,
    read_at: Option<tokio::time::Instant>,
}

impl Langs {
    async fn refresh(
        &mut self,
        ctx: &Context,
        claimed: &[courant_model::Article],
    ) -> anyhow::Result<()> {
        let stale = self
            .read_at
            .is_none_or(|t| t.elapsed() > Duration::from_secs(60));
        if stale || claimed.iter().any(|a| !self.map.contains_key(&a.source_id)) {
            self.map = blocking(&ctx.store, |s| s.sources())
                .await?
                .into_iter()
                .map(|s| (s.id, s.lang))
                .collect();
            self.read_at = Some(tokio::time::Instant::now());
        }
        Ok(())
    }
}

/// Sources whose last poll could not even be recorded (the store failing):
/// when they may be polled again, and how many times in a row it happened.
/// The store cannot hold their backoff then, so memory does.
type Held = Arc<Mutex<HashMap<SourceId, (tokio::time::Instant, i64)>>>;

fn hold_off(held: &Held, ctx: &Context, id: SourceId, failed: bool) {
    let Ok(mut h) = held.lock() else { return };
    if !failed {
        h.remove(&id);
        return;
    }
    let n = h.get(&id).map_or(1, |(_, n)| n + 1);
    let until = tokio::time::Instant::now() + crate::backoff(&ctx.settings, n);
    h.insert(id, (until, n));
}

/// Which jobs a process runs: all of them on one machine; on many, each
/// role its share (`courant serve --role`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Duties {
    /// Poll sources, process articles, look at pages again: any number of
    /// processes, each claiming its work from the store.
    pub work: bool,
    /// Place articles into stories and translate them: sequential stages,
    /// one process at a time (the story lease).
    pub stories: bool,
    /// Keep this process's search index in step with the store (web nodes).
    pub index: bool,
}

impl Duties {
    /// Everything, as on one machine.
    pub const ALL: Duties = Duties {
        work: true,
        stories: true,
        index: true,
    };
}

/// Polls sources when due and processes articles as they arrive, until shut down.
pub struct Scheduler {
    ctx: Context,
    tick: Duration,
    duties: Duties,
}

impl Scheduler {
    /// A scheduler that checks for work every second, and whenever a job
    /// ends.
    pub fn new(ctx: Context) -> Self {
        Scheduler {
            ctx,
            tick: Duration::from_secs(1),
            duties: Duties::ALL,
        }
    }

    /// Runs only these duties.
    pub fn with_duties(mut self, duties: Duties) -> Self {
        self.duties = duties;
        self
    }

    /// The same with another tick (tests: a tick too long to matter shows
    /// that the work drives itself).
    pub fn with_tick(ctx: Context, tick: Duration) -> Self {
        Scheduler {
            ctx,
            tick,
            duties: Duties::ALL,
        }
    }

    /// Runs until `shutdown` turns true; in-flight jobs finish first.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let ctx = self.ctx;
        let duties = self.duties;
        let polling: Arc<Mutex<HashSet<SourceId>>> = Arc::default();
        let held: Held = Arc::default();
        let mut langs = Langs::default();
        let poll_permits = Arc::new(Semaphore::new(ctx.settings.poll_concurrency.max(1)));
        let article_permits = Arc::new(Semaphore::new(ctx.settings.article_concurrency.max(1)));
        let mut jobs = JoinSet::new();
        let worker = Arc::new(Mutex::new(
            StoryWorker::new(STORY_LEASE).with_embedder(ctx.embedder.clone()),
        ));
        let mut clustering: Option<tokio::task::JoinHandle<()>> = None;
        let mut indexing: Option<tokio::task::JoinHandle<()>> = None;
        let mut translating: Option<tokio::task::JoinHandle<()>> = None;
        let mut rechecking: Option<tokio::task::JoinHandle<()>> = None;
        let mut last_recheck = tokio::time::Instant::now() - RECHECK_EVERY;
        let mut last_translation = tokio::time::Instant::now() - TRANSLATE_EVERY;
        loop {
            if *shutdown.borrow() {
                break;
            }
            // One story round at a time; it runs beside polling and fetching.
            if duties.stories && clustering.as_ref().is_none_or(|h| h.is_finished()) {
                let (worker, store) = (worker.clone(), ctx.store.clone());
                clustering = Some(tokio::spawn(async move {
                    match cluster_pending(&worker, &store).await {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(placed = n, "stories updated"),
                        Err(e) => tracing::error!(error = format!("{e:#}"), "story job failed"),
                    }
                }));
            }
            // The search index follows the placements, one round at a time.
            if duties.index
                && ctx.search.is_some()
                && indexing.as_ref().is_none_or(|h| h.is_finished())
            {
                let ctx = ctx.clone();
                indexing = Some(tokio::spawn(async move {
                    match index(&ctx).await {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(indexed = n, "search index updated"),
                        Err(e) => tracing::error!(error = format!("{e:#}"), "search job failed"),
                    }
                }));
            }
            // Translation follows the stories, one pass at a time, at most
            // every TRANSLATE_EVERY: an engine is slower than the rest.
            if let Some(tr) = ctx.translate.clone().filter(|_| duties.stories) {
                if translating.as_ref().is_none_or(|h| h.is_finished())
                    && last_translation.elapsed() >= TRANSLATE_EVERY
                {
                    last_translation = tokio::time::Instant::now();
                    let ctx = ctx.clone();
                    translating = Some(tokio::spawn(async move {
                        match crate::translate::pass(&ctx, &tr, Utc::now()).await {
                            Ok(r) if r.published + r.held + r.failed > 0 => tracing::info!(
                                published = r.published,
                                held = r.held,
                                failed = r.failed,
                                "translations updated"
                            ),
                            Ok(_) => {}
                            Err(e) => {
                                tracing::error!(error = format!("{e:#}"), "translation job failed")
                            }
                        }
                    }));
                }
            }
            // Shown pages are looked at again for changes, one round at a time.
            if duties.work
                && rechecking.as_ref().is_none_or(|h| h.is_finished())
                && last_recheck.elapsed() >= RECHECK_EVERY
            {
                last_recheck = tokio::time::Instant::now();
                let ctx = ctx.clone();
                rechecking = Some(tokio::spawn(async move {
                    match crate::pages::recheck(&ctx, Utc::now()).await {
                        Ok(r) if r.changed > 0 => tracing::info!(
                            checked = r.checked,
                            changed = r.changed,
                            "pages looked at again"
                        ),
                        Ok(_) => {}
                        Err(e) => tracing::error!(error = format!("{e:#}"), "page recheck failed"),
                    }
                }));
            }
            if !duties.work {
                // Nothing to claim: wait for the tick or the end.
            } else if let Err(e) = Self::tick(
                &ctx,
                &polling,
                &held,
                &poll_permits,
                &article_permits,
                &mut langs,
                &mut jobs,
            )
            .await
            {
                tracing::error!(error = format!("{e:#}"), "scheduler tick failed");
            }
            while jobs.try_join_next().is_some() {}
            // A finished job frees a permit: look for more work at once, so
            // a backlog runs at the pace of the work, not of the tick (which
            // capped it at `article_concurrency` articles a second).
            tokio::select! {
                _ = tokio::time::sleep(self.tick) => {}
                _ = shutdown.changed() => {}
                Some(_) = jobs.join_next(), if !jobs.is_empty() => {}
            }
        }
        while jobs.join_next().await.is_some() {}
        for h in [clustering, indexing, translating, rechecking]
            .into_iter()
            .flatten()
        {
            let _ = h.await;
        }
        if let Err(e) = release(&ctx, &worker).await {
            tracing::warn!(error = format!("{e:#}"), "story lease not released");
        }
    }

    async fn tick(
        ctx: &Context,
        polling: &Arc<Mutex<HashSet<SourceId>>>,
        held: &Held,
        poll_permits: &Arc<Semaphore>,
        article_permits: &Arc<Semaphore>,
        langs: &mut Langs,
        jobs: &mut JoinSet<()>,
    ) -> anyhow::Result<()> {
        let free = poll_permits.available_permits();
        if free > 0 {
            // Claimed with a lease and the host's turn: other workers on
            // the same store pass these over.
            let lease = ctx.settings.lease.as_secs() as i64;
            let gap = ctx.settings.host_gap.as_secs_f64();
            let due = blocking(&ctx.store, move |s| {
                s.claim_due_sources(Utc::now(), lease, gap, free)
            })
            .await?;
            let now = tokio::time::Instant::now();
            for src in due {
                let waiting = held
                    .lock()
                    .map(|h| h.get(&src.id).is_some_and(|(until, _)| *until > now))
                    .unwrap_or(false);
                if waiting {
                    continue;
                }
                let fresh = polling
                    .lock()
                    .map(|mut p| p.insert(src.id))
                    .unwrap_or(false);
                if !fresh {
                    continue;
                }
                let Ok(permit) = poll_permits.clone().try_acquire_owned() else {
                    if let Ok(mut p) = polling.lock() {
                        p.remove(&src.id);
                    }
                    break;
                };
                let (ctx, polling, held) = (ctx.clone(), polling.clone(), held.clone());
                jobs.spawn(async move {
                    let _permit = permit;
                    let result = poll_source(&ctx, &src, Utc::now()).await;
                    hold_off(&held, &ctx, src.id, result.is_err());
                    match result {
                        Ok(r) if r.new > 0 => tracing::info!(source = %src.name, new = r.new, "polled"),
                        Ok(_) => {}
                        Err(e) => tracing::error!(source = %src.name, error = format!("{e:#}"), "poll job failed"),
                    }
                    if let Ok(mut p) = polling.lock() {
                        p.remove(&src.id);
                    }
                });
            }
        }
        // Claims come in batches of a quarter of the slots: one claim per
        // finished job would be a round trip to a shared store each time.
        let free = article_permits.available_permits();
        if free >= (ctx.settings.article_concurrency / 4).max(1) {
            let lease = ctx.settings.lease.as_secs() as i64;
            let claimed = blocking(&ctx.store, move |s| {
                s.claim_pending(Utc::now(), lease, free)
            })
            .await?;
            if !claimed.is_empty() {
                langs.refresh(ctx, &claimed).await?;
                for a in claimed {
                    let Ok(permit) = article_permits.clone().try_acquire_owned() else {
                        break;
                    };
                    let ctx = ctx.clone();
                    let lang = langs.map.get(&a.source_id).cloned().flatten();
                    jobs.spawn(async move {
                        let _permit = permit;
                        if let Err(e) = process_article(&ctx, &a, lang.as_deref()).await {
                            tracing::error!(
                                article = a.id,
                                error = format!("{e:#}"),
                                "article job failed"
                            );
                        }
                    });
                }
            }
        }
        Ok(())
    }
}

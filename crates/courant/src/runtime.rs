//! What `serve`, `ingest` and the demo build: the store, the job context,
//! the web config, and the server with the scheduler beside it.

use std::sync::Arc;

use anyhow::Context as _;
use courant_store::Store;

use crate::config::Config;

pub(crate) fn open_store(cfg: &Config) -> anyhow::Result<Arc<dyn Store>> {
    Ok(courant_store::open(&cfg.store_target())?)
}

/// What `serve --role` runs: which jobs, and whether it serves the web.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Role {
    /// Everything in one process, as on one machine.
    All,
    /// Poll, fetch, extract and clean; any number of processes.
    Worker,
    /// Place articles into stories and translate; one at a time (a second
    /// waits and takes over when the first dies).
    Stories,
    /// The site and the API, with a search index of its own; any number.
    Web,
}

impl Role {
    fn duties(self) -> courant_jobs::Duties {
        use courant_jobs::Duties;
        match self {
            Role::All => Duties::ALL,
            Role::Worker => Duties {
                work: true,
                stories: false,
                index: false,
            },
            Role::Stories => Duties {
                work: false,
                stories: true,
                index: false,
            },
            Role::Web => Duties {
                work: false,
                stories: false,
                index: true,
            },
        }
    }

    fn serves_web(self) -> bool {
        matches!(self, Role::All | Role::Web)
    }
}

pub(crate) fn context(
    cfg: &Config,
    store: Arc<dyn Store>,
) -> anyhow::Result<courant_jobs::Context> {
    context_for(cfg, store, true)
}

/// The job context; `search`: whether this process keeps a search index
/// (web nodes do, workers and the story process do not).
pub(crate) fn context_for(
    cfg: &Config,
    store: Arc<dyn Store>,
    search: bool,
) -> anyhow::Result<courant_jobs::Context> {
    let search = if cfg.search.enabled && search {
        let dir = cfg.search_dir();
        let index = courant_search::SearchIndex::open(&dir)
            .with_context(|| format!("opening the search index in {}", dir.display()))?;
        Some(Arc::new(index))
    } else {
        None
    };
    let translate = if cfg.translate.targets.is_empty() || cfg.translate.providers.is_empty() {
        None
    } else {
        let mut t = courant_jobs::translate::Translate::new(
            &cfg.translate.providers,
            cfg.translate.targets.clone(),
            cfg.translate.keep.clone(),
            store.clone(),
        )?;
        if let Some(n) = cfg.translate.concurrency {
            t.concurrency = n.max(1);
        }
        Some(Arc::new(t))
    };
    Ok(courant_jobs::Context {
        store,
        translate,
        embedder: embedder(cfg)?,
        fetcher: courant_fetch::Fetcher::new(cfg.fetch_config())?,
        settings: cfg.job_settings(),
        lexicons: Arc::new(lexicons(cfg)),
        search,
    })
}

/// The multilingual model, when its folder is there; without it stories
/// come from words alone, which is said once.
pub(crate) fn embedder(cfg: &Config) -> anyhow::Result<Option<Arc<courant_embed::Usem>>> {
    let dir = &cfg.embed.model;
    if dir.as_os_str().is_empty() {
        return Ok(None);
    }
    if !dir.join("sp.model").exists() {
        tracing::warn!(
            model = %dir.display(),
            "no multilingual embedding model (scripts/fetch-model.sh fetches it): stories come from words alone and are not linked across languages"
        );
        return Ok(None);
    }
    let model = courant_embed::Usem::load(dir)
        .with_context(|| format!("loading the embedding model in {}", dir.display()))?;
    tracing::info!(model = %dir.display(), "multilingual embeddings on: stories link across languages");
    Ok(Some(Arc::new(model)))
}

/// Word knowledge for the checker; a missing list only weakens two detectors.
pub(crate) fn lexicons(cfg: &Config) -> courant_clean::Lexicons {
    let (lex, missing) =
        courant_clean::Lexicons::load(&cfg.clean.dictionaries, &cfg.clean.hunspell);
    for m in missing {
        tracing::warn!(missing = %m, "word list not loaded; glued-word and untranslated checks are weaker for this language");
    }
    lex
}

/// Adds the config's `[[sources]]` and OPML feeds; existing ones are updated in place.
/// Runs the scheduler and the web server until Ctrl-C or SIGTERM; a role
/// other than `all` runs its share only.
pub(crate) async fn serve(cfg: &Config, store: Arc<dyn Store>, role: Role) -> anyhow::Result<()> {
    let ctx = context_for(cfg, store.clone(), role.serves_web())?;
    if !role.serves_web() {
        tracing::info!(role = ?role, "running without the web server");
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let scheduler = tokio::spawn(
            courant_jobs::Scheduler::new(ctx)
                .with_duties(role.duties())
                .run(stop_rx),
        );
        shutdown_signal().await;
        let _ = stop_tx.send(true);
        scheduler.await.context("scheduler task failed")?;
        return Ok(());
    }
    let addr = cfg.listen_addr()?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let web = web_config(cfg, &ctx);
    if web.base_url.is_none() && !addr.ip().is_loopback() {
        tracing::warn!(
            %addr,
            "no [site] base_url: feeds and sitemaps answer 503 to requests for other host names"
        );
    }
    serve_on(
        listener,
        ctx,
        web,
        cfg.server.limits(descriptors()),
        role.duties(),
    )
    .await
}

/// Raises the soft limit on open files to the hard one (1,024 is a common
/// soft default, too few for many clients beside the jobs) and returns it.
pub(crate) fn descriptors() -> u64 {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the open-file limit; assuming 1024");
            1024
        }
    }
}

pub(crate) fn web_config(cfg: &Config, ctx: &courant_jobs::Context) -> courant_web::WebConfig {
    courant_web::WebConfig {
        search: ctx.search.clone(),
        site_title: cfg.site.title.clone(),
        site_lang: cfg.site.lang.clone(),
        templates_dir: cfg.site.templates.clone(),
        base_url: cfg.site.base_url.clone(),
        api_token: std::env::var("COURANT_API_TOKEN")
            .ok()
            .filter(|t| !t.is_empty())
            .or_else(|| cfg.api.token.clone()),
        metrics: courant_web::install_recorder(),
        metrics_token: std::env::var("COURANT_METRICS_TOKEN")
            .ok()
            .filter(|t| !t.is_empty())
            .or_else(|| cfg.api.metrics_token.clone()),
        max_wrong_tokens: cfg.api.max_wrong_tokens,
    }
}

pub(crate) async fn serve_on(
    listener: tokio::net::TcpListener,
    ctx: courant_jobs::Context,
    web: courant_web::WebConfig,
    limits: courant_web::ServerLimits,
    duties: courant_jobs::Duties,
) -> anyhow::Result<()> {
    let addr = listener.local_addr()?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let scheduler = tokio::spawn(
        courant_jobs::Scheduler::new(ctx.clone())
            .with_duties(duties)
            .run(stop_rx),
    );
    let app = courant_web::router(ctx.store.clone(), web);
    println!("courant is serving http://{addr}/  (Ctrl-C to stop)");
    tracing::info!(%addr, "serving");
    tracing::info!(
        max_connections = limits.max_connections,
        header_timeout_secs = limits.header_timeout.as_secs(),
        "web server limits"
    );
    courant_web::serve(listener, app, limits, shutdown_signal())
        .await
        .context("web server failed")?;
    let _ = stop_tx.send(true);
    scheduler.await.context("scheduler task failed")?;
    Ok(())
}

pub(crate) async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}

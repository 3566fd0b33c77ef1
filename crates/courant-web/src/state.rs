//! What the handlers share: the store, the templates, the config, and the
//! caches of what every front page shows; and the helpers that read the
//! store off the async threads.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use courant_store::Store;
use minijinja::Environment;

use crate::{cache, i18n, templates, views, WebConfig, WebError};

/// Shared state of the handlers.
#[derive(Clone)]
pub struct AppState {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) env: Arc<Environment<'static>>,
    pub(crate) cfg: Arc<WebConfig>,
    pub(crate) catalogs: Arc<i18n::Catalogs>,
    overview: Arc<Mutex<OverviewCache>>,
    pub(crate) pages: Arc<cache::PageCache>,
    pub(crate) throttle: Arc<crate::guard::Throttle>,
}

/// What every front page shows: sources (names and health), counts and the
/// source-language groups. Reading them from a large store on each request
/// would dominate the page's time (at 100,000 articles and 841 sources they
/// take about 80 ms), and on a news site a figure a few seconds old is exact
/// enough.
#[derive(Clone)]
pub(crate) struct Overview {
    pub(crate) sources: Arc<Vec<courant_model::Source>>,
    pub(crate) names: Arc<views::Names>,
    pub(crate) counts: Arc<courant_store::Counts>,
    pub(crate) groups: Arc<Vec<courant_store::Group>>,
}

#[derive(Default)]
struct OverviewCache {
    value: Option<(Instant, Overview)>,
    refreshing: bool,
}

/// How long the overview is reused.
const OVERVIEW_TTL: Duration = Duration::from_secs(2);

/// The overview, at most [`OVERVIEW_TTL`] old. Once there is one, a stale
/// one is answered at once while a background task reads the next, so no
/// request waits for the read.
pub(crate) async fn overview(st: &AppState) -> Result<Overview, WebError> {
    let stale = match st.overview.lock() {
        Ok(mut c) => {
            let fresh_enough = c
                .value
                .as_ref()
                .is_some_and(|(at, _)| at.elapsed() < OVERVIEW_TTL);
            match c.value.clone() {
                Some((_, o)) if fresh_enough || c.refreshing => return Ok(o),
                value => {
                    c.refreshing = true;
                    value.map(|(_, o)| o)
                }
            }
        }
        Err(_) => None,
    };
    match stale {
        Some(o) => {
            let st = st.clone();
            tokio::spawn(async move {
                if let Err(e) = refresh_overview(&st).await {
                    tracing::warn!(error = %e, "overview not refreshed; showing the last one");
                }
            });
            Ok(o)
        }
        None => refresh_overview(st).await,
    }
}

/// Drops the cached pages and overview: an operator's write shows at once.
pub(crate) fn forget_pages(st: &AppState) {
    st.pages.clear();
    if let Ok(mut c) = st.overview.lock() {
        c.value = None;
    }
}

async fn refresh_overview(st: &AppState) -> Result<Overview, WebError> {
    let fresh = read(st, |s| Ok((s.sources()?, s.counts()?, s.groups()?))).await;
    let mut cache = st.overview.lock().ok();
    if let Some(c) = cache.as_mut() {
        c.refreshing = false;
    }
    let (sources, counts, groups) = fresh?;
    let o = Overview {
        names: Arc::new(views::names(&sources)),
        sources: Arc::new(sources),
        counts: Arc::new(counts),
        groups: Arc::new(groups),
    };
    if let Some(c) = cache.as_mut() {
        c.value = Some((Instant::now(), o.clone()));
    }
    Ok(o)
}

impl AppState {
    pub(crate) fn new(store: Arc<dyn Store>, cfg: WebConfig) -> Self {
        AppState {
            env: Arc::new(templates::environment(&cfg)),
            catalogs: Arc::new(i18n::Catalogs::load(cfg.templates_dir.as_deref())),
            store,
            cfg: Arc::new(cfg),
            overview: Arc::default(),
            pages: Arc::default(),
            throttle: Arc::default(),
        }
    }
}

/// Runs store work on the blocking pool.
pub(crate) async fn read<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&dyn Store) -> courant_store::Result<T> + Send + 'static,
) -> Result<T, WebError> {
    let store = state.store.clone();
    Ok(tokio::task::spawn_blocking(move || f(store.as_ref())).await??)
}

/// An article and the source it came from.
pub(crate) async fn article_with_source(
    state: &AppState,
    id: i64,
) -> Result<
    (
        Option<courant_model::Article>,
        Option<courant_model::Source>,
    ),
    WebError,
> {
    read(state, move |s| {
        let a = s.article(id)?;
        let src = match &a {
            Some(a) => s.source(a.source_id)?,
            None => None,
        };
        Ok((a, src))
    })
    .await
}

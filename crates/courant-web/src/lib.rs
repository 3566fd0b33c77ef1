//! The web front: server-rendered HTML pages and a JSON API over the store.
//!
//! Handlers are thin: read the store (off the async threads), shape a view,
//! render. Everything from a feed or page is already sanitized by the time it
//! is stored; templates escape all other text, and only the sanitized body is
//! marked safe.
//!
//! # Pages, feeds and API
//!
//! axum router, thin handlers, minijinja templates (`templates/`, overridable
//! per file by the operator), JSON API under `/api/v1`. Home ranks stories by
//! breadth (distinct outlets, then extra copies) over age (`views::rank`);
//! `/stories/{id}` shows the timeline of originals with the outlets that
//! carried each copy, and related stories; a merged id redirects (308) to the
//! survivor. Article pages show the story, the outlets that carried the same
//! text, and related news: the story's other articles, then the leads of
//! related stories. `feeds.rs`: Atom (`atom_syndication`) and JSON Feed 1.1 for
//! the site, each story and each source, an ordinary and a Google News sitemap;
//! absolute links from `[site] base_url`, else the request's Host (checked to
//! be a host name). `api.rs` also holds the write operations (add and remove a
//! source, hide and show an article) behind a bearer token from the config,
//! compared in constant time; without a token they are off (403).
//! `openapi.json` is the API's OpenAPI 3 document, served as is; a test checks
//! that it lists every API route. `search.rs`: `/search` (form, filters,
//! pages), `/api/v1/search`, `/search/feed.atom|json` (newest first); each hit
//! is read from the store and shown only when ready. `i18n.rs` and
//! `templates/i18n/*.json`: the site's own words (en, de, fr, es; others fall
//! back to English key by key; `i18n/<code>.json` in the templates folder adds
//! or corrects a language). Language editions: `/{lang}/`, `/{lang}/latest`,
//! `/{lang}/search` show that language's news, in its words where a catalog
//! exists; `theme.css` holds the whole look and is overridable like any
//! template. A formatter escapes `& < > " '` (minijinja's default also wrote
//! `/` as `&#x2f;`). Sources, counts and source-language groups, which every
//! front page shows, are reused for 2 s and refreshed in the background
//! (`overview`); `cache.rs` keeps rendered home and story pages 2 s (while one
//! request renders a stale page again, the others get the last copy); an
//! operator's write through the API clears both. Search is never cached. A
//! hidden article has status `hidden`, so every query for ready articles leaves
//! it out. `metrics_page.rs`: `/metrics` renders the Prometheus recorder the
//! binary installs; counters and histograms are recorded where things happen
//! (fetcher, jobs, a request middleware labelled by route pattern), gauges are
//! read from the store at scrape time.
//!
//! # Why atom_syndication, metrics, axum and minijinja
//!
//! (rust-syndication) writes Atom with correct escaping; JSON Feed is a
//! `serde_json` value. The Atom output is tested by parsing it back with
//! `courant-feed`. (no HTTP listener of its own; axum serves `/metrics`).
//! Library crates only call the macros, which cost nothing without a recorder,
//! so tests and the CLI need no setup. minijinja over compile-time templates
//! (askama) because operators override templates at run time.
#![warn(missing_docs)]

mod api;
mod cache;
mod feeds;
mod i18n;
mod metrics_page;
mod pages;
mod publish;
mod search;
mod views;

#[cfg(test)]
mod tests;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use courant_store::Store;
use minijinja::Environment;

pub use metrics_page::install_recorder;

/// Settings for the site.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Site name in the header and titles.
    pub site_title: String,
    /// Language of the site's own words (`<html lang>`).
    pub site_lang: String,
    /// A folder whose templates override the built-in ones by file name.
    pub templates_dir: Option<PathBuf>,
    /// Public address for absolute links in feeds and sitemaps; the request's
    /// Host when unset.
    pub base_url: Option<String>,
    /// Bearer token for the write API; the write API is off without one.
    pub api_token: Option<String>,
    /// The Prometheus recorder's handle; `/metrics` answers 404 without one.
    pub metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    /// The search index (kept in step by the jobs); search answers 404 without one.
    pub search: Option<Arc<courant_search::SearchIndex>>,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            site_title: "courant".into(),
            site_lang: "en".into(),
            templates_dir: None,
            base_url: None,
            api_token: None,
            metrics: None,
            search: None,
        }
    }
}

/// Shared state of the handlers.
#[derive(Clone)]
pub struct AppState {
    store: Arc<dyn Store>,
    env: Arc<Environment<'static>>,
    cfg: Arc<WebConfig>,
    catalogs: Arc<i18n::Catalogs>,
    overview: Arc<Mutex<OverviewCache>>,
    pages: Arc<cache::PageCache>,
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

const BUILTIN: &[(&str, &str)] = &[
    ("base.html", include_str!("../templates/base.html")),
    ("home.html", include_str!("../templates/home.html")),
    ("list.html", include_str!("../templates/list.html")),
    ("article.html", include_str!("../templates/article.html")),
    ("story.html", include_str!("../templates/story.html")),
    ("sources.html", include_str!("../templates/sources.html")),
    ("error.html", include_str!("../templates/error.html")),
    ("original.html", include_str!("../templates/original.html")),
    ("search.html", include_str!("../templates/search.html")),
    ("theme.css", include_str!("../templates/theme.css")),
];

fn environment(cfg: &WebConfig) -> Environment<'static> {
    let mut env = Environment::new();
    env.add_filter("fill", i18n::fill);
    // minijinja's HTML escaping also writes '/' as "&#x2f;", which no context
    // needs; escape what HTML needs and leave links readable.
    env.set_formatter(|out, state, value| {
        if state.auto_escape() == minijinja::AutoEscape::Html && !value.is_safe() {
            if let Some(s) = value.as_str() {
                return out.write_str(&courant_text::escape_html(s)).map_err(|_| {
                    minijinja::Error::new(minijinja::ErrorKind::WriteFailure, "write failed")
                });
            }
        }
        minijinja::escape_formatter(out, state, value)
    });
    let dir = cfg.templates_dir.clone();
    env.set_loader(move |name| {
        if let Some(dir) = &dir {
            // Only plain file names: an override folder is not a path to walk out of.
            if !name.contains(['/', '\\']) && !name.starts_with('.') {
                match std::fs::read_to_string(dir.join(name)) {
                    Ok(s) => return Ok(Some(s)),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => {
                        return Err(minijinja::Error::new(
                            minijinja::ErrorKind::InvalidOperation,
                            format!("template {name}: {e}"),
                        ))
                    }
                }
            }
        }
        Ok(BUILTIN
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, s)| s.to_string()))
    });
    env
}

/// Builds the router for the site and the API.
pub fn router(store: Arc<dyn Store>, cfg: WebConfig) -> Router {
    let state = AppState {
        env: Arc::new(environment(&cfg)),
        catalogs: Arc::new(i18n::Catalogs::load(cfg.templates_dir.as_deref())),
        store,
        cfg: Arc::new(cfg),
        overview: Arc::default(),
        pages: Arc::default(),
    };
    Router::new()
        .route("/", get(pages::home))
        .route("/latest", get(pages::latest))
        .route("/stories/{id}", get(pages::story))
        .route("/stories/{id}/feed.atom", get(feeds::feed))
        .route("/stories/{id}/feed.json", get(feeds::feed))
        .route("/sources/{id}/feed.atom", get(feeds::feed))
        .route("/sources/{id}/feed.json", get(feeds::feed))
        .route("/feed.atom", get(feeds::feed))
        .route("/feed.json", get(feeds::feed))
        .route("/search", get(search::search_page))
        .route("/search/feed.atom", get(search::feed))
        .route("/search/feed.json", get(search::feed))
        .route("/sitemap.xml", get(feeds::sitemap))
        .route("/news-sitemap.xml", get(feeds::news_sitemap))
        .route("/articles/{id}", get(pages::article))
        .route("/articles/{id}/original", get(pages::original))
        .route("/sources", get(pages::sources))
        .route("/sources/{id}", get(pages::source))
        .route("/{lang}/", get(pages::edition_home))
        .route("/{lang}", get(pages::edition_redirect))
        .route("/{lang}/latest", get(pages::edition_latest))
        .route("/{lang}/search", get(search::edition_search))
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(metrics_page::metrics))
        .nest("/api/v1", api::routes())
        .fallback(|| async { WebError::NotFound("no such page".into()) })
        .layer(axum::middleware::from_fn(metrics_page::track))
        .with_state(state)
}

/// Failures a handler turns into a response.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// 404 with a message.
    #[error("not found: {0}")]
    NotFound(String),
    /// 400 with a message.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// 401: no or a wrong token.
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    /// 403: the operation is switched off.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// Storage failed; logged, shown as 500.
    #[error(transparent)]
    Store(#[from] courant_store::Error),
    /// A template failed; logged, shown as 500.
    #[error("template: {0}")]
    Template(#[from] minijinja::Error),
    /// A blocking task panicked or was cancelled.
    #[error("internal: {0}")]
    Join(#[from] tokio::task::JoinError),
    /// The search index failed; logged, shown as 500.
    #[error(transparent)]
    Search(#[from] courant_search::Error),
}

impl WebError {
    fn status(&self) -> StatusCode {
        match self {
            WebError::NotFound(_) => StatusCode::NOT_FOUND,
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            WebError::Forbidden(_) => StatusCode::FORBIDDEN,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn public_message(&self) -> String {
        match self {
            WebError::NotFound(m)
            | WebError::BadRequest(m)
            | WebError::Unauthorized(m)
            | WebError::Forbidden(m) => m.clone(),
            _ => "internal error; see the server log".into(),
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        let body = format!(
            "<!doctype html><meta charset=utf-8><title>{status}</title><h1>{status}</h1><p>{}</p><p><a href=\"/\">Front page</a></p>",
            courant_text::escape_html(&self.public_message())
        );
        (status, Html(body)).into_response()
    }
}

/// Runs store work on the blocking pool.
async fn read<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&dyn Store) -> courant_store::Result<T> + Send + 'static,
) -> Result<T, WebError> {
    let store = state.store.clone();
    Ok(tokio::task::spawn_blocking(move || f(store.as_ref())).await??)
}

/// An article and the source it came from.
async fn article_with_source(
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

fn render(state: &AppState, name: &str, ctx: minijinja::Value) -> Result<Html<String>, WebError> {
    render_in(state, None, name, ctx)
}

/// Renders a page of an edition (`Some("de")`: the German pages, in German
/// where a catalog has the words) or of the whole site (`None`: in the
/// site's own language).
fn render_in(
    state: &AppState,
    edition: Option<&str>,
    name: &str,
    ctx: minijinja::Value,
) -> Result<Html<String>, WebError> {
    let ui = edition.unwrap_or(&state.cfg.site_lang);
    let t = state.catalogs.get(ui);
    let lang = if state.catalogs.has(ui) {
        ui
    } else {
        state.cfg.site_lang.as_str()
    };
    let site = minijinja::context! {
        title => state.cfg.site_title,
        lang,
        search => state.cfg.search.is_some(),
    };
    // Links within an edition stay in it: `{{ prefix }}/latest`.
    let prefix = edition.map(|code| format!("/{code}")).unwrap_or_default();
    let edition = edition.map(|code| minijinja::context! { code });
    let tmpl = state.env.get_template(name)?;
    Ok(Html(tmpl.render(
        minijinja::context! { site, t, edition, prefix, ..ctx },
    )?))
}

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
//! related stories. `feeds` (requests) and `publish` (rendering): Atom and
//! JSON Feed 1.1 for the site, each story and each source, an ordinary and a
//! Google News sitemap; absolute links from `[site] base_url`, else a loopback Host (any other
//! answers 503). `api.rs` also holds the write operations (add and remove a
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
//! `atom_syndication` (rust-syndication) writes Atom with correct escaping;
//! JSON Feed is a `serde_json` value; the Atom output is tested by parsing it
//! back with `courant-feed`. The `metrics` facade with
//! `metrics-exporter-prometheus` has no HTTP listener of its own (axum serves
//! `/metrics`); library crates only call the macros, which cost nothing
//! without a recorder, so tests and the CLI need no setup. `minijinja` over
//! compile-time templates (askama) because operators override templates at run
//! time.
#![warn(missing_docs)]

mod api;
mod cache;
mod error;
mod feed_url;
mod feeds;
mod guard;
mod i18n;
mod metrics_page;
mod pages;
mod publish;
mod search;
mod server;
mod state;
mod templates;
mod translations;
mod views;
mod websub;

#[cfg(test)]
mod tests;

use std::path::PathBuf;
use std::sync::Arc;

use axum::routing::get;
use axum::Router;
use courant_store::Store;

pub use error::WebError;
pub use metrics_page::install_recorder;
pub use server::{serve, ServerLimits};
pub use state::AppState;

pub(crate) use state::{article_with_source, forget_pages, overview, read};
pub(crate) use templates::{render, render_in};

/// Settings for the site.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Site name in the header and titles.
    pub site_title: String,
    /// Language of the site's own words (`<html lang>`).
    pub site_lang: String,
    /// A folder whose templates override the built-in ones by file name.
    pub templates_dir: Option<PathBuf>,
    /// Public address for absolute links in feeds and sitemaps; without it
    /// they are served only to a loopback Host (see `feeds::base`).
    pub base_url: Option<String>,
    /// Bearer token for the write API; the write API is off without one.
    pub api_token: Option<String>,
    /// The Prometheus recorder's handle; `/metrics` answers 404 without one.
    pub metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    /// Bearer token `/metrics` asks for; public without one.
    pub metrics_token: Option<String>,
    /// Wrong tokens one address may send in a minute before its writes are
    /// refused for the rest of it; 0 turns the throttle off.
    pub max_wrong_tokens: u32,
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
            metrics_token: None,
            max_wrong_tokens: 5,
            search: None,
        }
    }
}

/// Builds the router for the site and the API: the one route table.
pub fn router(store: Arc<dyn Store>, cfg: WebConfig) -> Router {
    let state = AppState::new(store, cfg);
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
        .route("/{lang}/articles/{id}", get(translations::page))
        .route("/healthz", get(|| async { "ok" }))
        .route("/websub/{id}", get(websub::verify).post(websub::deliver))
        .route("/metrics", get(metrics_page::metrics))
        .nest("/api/v1", api::routes())
        .fallback(|| async { WebError::NotFound("no such page".into()) })
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            guard::throttle,
        ))
        .layer(axum::middleware::from_fn(guard::headers))
        .layer(axum::middleware::from_fn(metrics_page::track))
        .with_state(state)
}

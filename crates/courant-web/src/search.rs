//! Search: the page, the API and the feeds of a search.
//!
//! The index returns ids only. Every hit is read from the store, so a hidden
//! article or one of a removed source never shows; the highlighter marks the
//! stored title and text, escaping every piece, and only its output (besides
//! the sanitized body) is marked safe in templates.

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, Response};
use chrono::{DateTime, NaiveDate, Utc};
use courant_model::{Article, ArticleStatus};
use courant_search::{SearchQuery, Sort};
use minijinja::context;
use serde::{Deserialize, Serialize};

use crate::pages::clean_lang;
use crate::publish::Format;
use crate::views::{self, ArticleSummary};
use crate::{feeds, AppState, WebError};

/// Hits per page.
const PAGE: usize = 20;
/// Deepest page served: relevance beyond it is noise, and it bounds the work.
const MAX_PAGE: usize = 50;

/// The search form's fields, as they come in the query string.
#[derive(Debug, Default, Clone, Deserialize)]
pub(crate) struct SearchParams {
    q: Option<String>,
    lang: Option<String>,
    source: Option<String>,
    from: Option<String>,
    to: Option<String>,
    sort: Option<String>,
    page: Option<u32>,
    limit: Option<u32>,
}

/// One result as pages, feeds and the API show it.
#[derive(Debug, Serialize)]
pub(crate) struct HitView {
    id: i64,
    title: String,
    /// The title with the query's words in `<mark>`, escaped.
    title_html: String,
    /// The best passage of the text, words in `<mark>`, escaped.
    snippet_html: String,
    lang: Option<String>,
    published: Option<String>,
    source_id: i64,
    source_name: String,
    story: Option<i64>,
    score: f32,
    /// Syndicated copies that matched too (the first few).
    copies: Vec<ArticleSummary>,
    /// How many copies matched.
    copy_count: usize,
}

/// A page of results.
#[derive(Debug, Serialize)]
pub(crate) struct Results {
    total: usize,
    more: bool,
    page: usize,
    hits: Vec<HitView>,
}

/// Parses a date (`2026-03-01`) or a time (RFC 3339). `end` makes a bare date
/// mean the end of that day, so `to=2026-03-01` includes the 1st.
fn when(s: Option<&str>, end: bool) -> Result<Option<DateTime<Utc>>, WebError> {
    // Empty is absent (an untouched form field); anything else must parse.
    let Some(s) = s.filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Ok(Some(d.with_timezone(&Utc)));
    }
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| WebError::BadRequest(format!("{s:?} is not a date like 2026-03-01")))?;
    let d = if end { d.succ_opt().unwrap_or(d) } else { d };
    Ok(d.and_hms_opt(0, 0, 0).map(|t| t.and_utc()))
}

/// The query the index runs, from the form; `lang` is the edition's when on one.
fn query(p: &SearchParams, lang: Option<String>, per_page: usize) -> Result<SearchQuery, WebError> {
    let text = p.q.clone().unwrap_or_default();
    if text.len() > courant_search::MAX_QUERY * 4 {
        return Err(WebError::BadRequest("query too long".into()));
    }
    let source = match p.source.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => Some(
            s.parse::<i64>()
                .map_err(|_| WebError::BadRequest("source must be a number".into()))?,
        ),
        None => None,
    };
    let sort = match p.sort.as_deref() {
        None | Some("") | Some("relevance") => Sort::Relevance,
        Some("newest") => Sort::Newest,
        Some(_) => return Err(WebError::BadRequest("sort is relevance or newest".into())),
    };
    let page = (p.page.unwrap_or(1) as usize).clamp(1, MAX_PAGE);
    Ok(SearchQuery {
        text,
        lang,
        source,
        from: when(p.from.as_deref(), false)?,
        to: when(p.to.as_deref(), true)?,
        sort,
        limit: per_page,
        offset: (page - 1) * per_page,
    })
}

/// Copies of a hit read from the store; the rest are only counted.
const COPIES_SHOWN: usize = 5;

/// Runs the search and reads every hit from the store.
async fn run(st: &AppState, q: SearchQuery) -> Result<(Results, Vec<Article>), WebError> {
    let Some(index) = st.cfg.search.clone() else {
        return Err(WebError::NotFound(
            "search is not enabled on this site".into(),
        ));
    };
    let names = crate::overview(st).await?.names;
    let store = st.store.clone();
    let page = q.offset / q.limit.max(1) + 1;
    tokio::task::spawn_blocking(move || -> Result<_, WebError> {
        let mut found = index.search(&q)?;
        let names = names.as_ref();
        let shown = |id: i64| -> Result<Option<Article>, WebError> {
            Ok(store
                .article(id)?
                .filter(|a| a.status == ArticleStatus::Ready && a.processed.is_some()))
        };
        let mut hits = Vec::new();
        let mut articles = Vec::new();
        for h in &found.hits {
            let Some(a) = shown(h.id)? else { continue };
            let mut copies = Vec::new();
            for &c in h.copies.iter().take(COPIES_SHOWN) {
                if let Some(c) = shown(c)? {
                    copies.push(views::summary(&c, names));
                }
            }
            let lang = a.lang().unwrap_or("und").to_string();
            let text = a.processed.as_ref().map(|p| p.text.as_str()).unwrap_or("");
            hits.push(HitView {
                id: a.id,
                title: a.title().to_string(),
                title_html: found.highlighter.title(&lang, a.title()),
                snippet_html: found.highlighter.snippet(&lang, text),
                lang: a.lang().map(str::to_string),
                published: views::when(a.published()),
                source_id: a.source_id,
                source_name: names.get(&a.source_id).cloned().unwrap_or_default(),
                story: a.story,
                score: h.score,
                copies,
                copy_count: h.copies.len(),
            });
            articles.push(a);
        }
        Ok((
            Results {
                total: found.total,
                more: found.more && page < MAX_PAGE,
                page,
                hits,
            },
            articles,
        ))
    })
    .await?
}

/// The query string of a search without its page, for pager and feed links.
fn echo(p: &SearchParams, with_lang: bool) -> String {
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    let fields = [
        ("q", &p.q),
        ("source", &p.source),
        ("from", &p.from),
        ("to", &p.to),
        ("sort", &p.sort),
    ];
    for (k, v) in fields {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
            pairs.push((k, v));
        }
    }
    if with_lang {
        if let Some(l) = p.lang.as_deref().filter(|v| !v.is_empty()) {
            pairs.push(("lang", l));
        }
    }
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Encodes a query-string value (`application/x-www-form-urlencoded`).
fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

async fn page(
    st: AppState,
    edition: Option<String>,
    p: SearchParams,
) -> Result<Html<String>, WebError> {
    let lang = match &edition {
        Some(l) => Some(l.clone()),
        None => clean_lang(p.lang.clone())?,
    };
    let q = query(&p, lang.clone(), PAGE)?;
    let searched = !q.text.trim().is_empty();
    let results = if searched {
        Some(run(&st, q.clone()).await?.0)
    } else if st.cfg.search.is_none() {
        return Err(WebError::NotFound(
            "search is not enabled on this site".into(),
        ));
    } else {
        None
    };
    let overview = crate::overview(&st).await?;
    let (sources, counts) = (overview.sources.clone(), overview.counts.clone());
    let source_list = views::source_choices(&sources);
    let prefix = edition
        .as_deref()
        .map(|l| format!("/{l}"))
        .unwrap_or_default();
    let base_query = echo(&p, edition.is_none());
    let at = results.as_ref().map_or(1, |r| r.page);
    let link = |page: usize| format!("{prefix}/search?{base_query}&page={page}");
    let prev_url = results.as_ref().filter(|_| at > 1).map(|_| link(at - 1));
    let next_url = results.as_ref().filter(|r| r.more).map(|_| link(at + 1));
    let feed_query = echo(
        &SearchParams {
            sort: None,
            ..p.clone()
        },
        edition.is_none(),
    );
    crate::render_in(
        &st,
        edition.as_deref(),
        "search.html",
        context! {
            q => p.q.clone().unwrap_or_default(),
            lang,
            source => q.source,
            from => p.from.clone().unwrap_or_default(),
            to => p.to.clone().unwrap_or_default(),
            sort => match q.sort { Sort::Newest => "newest", Sort::Relevance => "relevance" },
            results,
            searched,
            sources => source_list,
            langs => counts.by_lang.clone(),
            prev_url,
            next_url,
            feed_query,
        },
    )
}

/// `/search`
pub(crate) async fn search_page(
    State(st): State<AppState>,
    Query(p): Query<SearchParams>,
) -> Result<Html<String>, WebError> {
    page(st, None, p).await
}

/// `/{lang}/search`: the edition's search, in its language only.
pub(crate) async fn edition_search(
    State(st): State<AppState>,
    Path(lang): Path<String>,
    Query(p): Query<SearchParams>,
) -> Result<Html<String>, WebError> {
    let lang = crate::pages::edition_code(&lang)?;
    page(st, Some(lang), p).await
}

/// One page of results for the API: `q` is required, at most 100 a page.
pub(crate) async fn results(st: &AppState, p: SearchParams) -> Result<Results, WebError> {
    let lang = clean_lang(p.lang.clone())?;
    let limit = (p.limit.unwrap_or(PAGE as u32) as usize).clamp(1, 100);
    let q = query(&p, lang, limit)?;
    if q.text.trim().is_empty() {
        return Err(WebError::BadRequest("q is required".into()));
    }
    Ok(run(st, q).await?.0)
}

/// The newest matching articles as a feed (`/search/feed.atom?q=...`,
/// `/search/feed.json?q=...`).
pub(crate) async fn feed(
    State(st): State<AppState>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    Query(p): Query<SearchParams>,
) -> Result<Response, WebError> {
    let (_, format) =
        Format::split(uri.path()).ok_or_else(|| WebError::NotFound("no such feed".into()))?;
    let lang = clean_lang(p.lang.clone())?;
    let mut q = query(&p, lang, feeds::FEED_ITEMS)?;
    q.sort = Sort::Newest;
    q.offset = 0;
    if q.text.trim().is_empty() {
        return Err(WebError::BadRequest("q is required".into()));
    }
    let words = q.text.clone();
    let (_, articles) = run(&st, q).await?;
    let names = crate::overview(&st).await?.names;
    let echo = echo(&SearchParams { sort: None, ..p }, true);
    let title = format!("“{}” · {}", words.trim(), st.cfg.site_title);
    let page = format!("/search?{echo}");
    let path = format!("/search/feed.{}?{echo}", format.ext());
    Ok(feeds::respond(
        &st,
        &headers,
        format,
        (&title, &page, &path),
        &articles,
        &names,
        &Default::default(),
    ))
}

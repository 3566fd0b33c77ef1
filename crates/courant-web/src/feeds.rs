//! Feeds out: Atom and JSON Feed for the whole site, each story and each
//! source (and each search, through [`render_feed`]); an ordinary sitemap and
//! a Google News sitemap.
//!
//! Bodies are the stored HTML, which the pipeline sanitized before storing;
//! Atom escapes it as `type="html"` text (through `atom_syndication`), JSON
//! Feed carries it as `content_html`. Every other string is plain text.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use courant_model::Article;
use courant_store::{ArticleQuery, StoryQuery};
use serde::Deserialize;

use crate::views::{self, safe_url, Names};
use crate::{read, AppState, WebError};

/// Entries per feed.
pub(crate) const FEED_ITEMS: usize = 50;
/// Articles in the ordinary sitemap (the protocol allows 50,000 URLs).
const SITEMAP_ARTICLES: usize = 10_000;
/// The Google News sitemap lists articles of the last two days, at most 1,000.
const NEWS_ITEMS: usize = 1_000;

#[derive(Debug, Default, Deserialize)]
pub(crate) struct FeedParams {
    lang: Option<String>,
}

/// What a feed is about.
enum Scope {
    Site(Option<String>),
    Story(i64),
    Source(i64),
}

/// Absolute base of the site's own links: the configured `base_url`, else the
/// request's Host header when it looks like a host name, else localhost.
pub(crate) fn base(st: &AppState, headers: &HeaderMap) -> String {
    if let Some(b) = &st.cfg.base_url {
        return b.trim_end_matches('/').to_string();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        })
        .unwrap_or("localhost");
    format!("http://{host}")
}

/// Title, path and articles (newest first) of a feed.
async fn collect(
    st: &AppState,
    scope: Scope,
) -> Result<(String, String, Vec<Article>, Names), WebError> {
    let site = st.cfg.site_title.clone();
    read(st, move |s| {
        let names = views::names(&s.sources()?);
        let (title, path, articles) = match scope {
            Scope::Site(lang) => {
                let articles = s.articles(&ArticleQuery {
                    lang: lang.clone(),
                    limit: FEED_ITEMS,
                    ..ArticleQuery::default()
                })?;
                let (title, path) = match lang {
                    Some(l) => (format!("{site} ({l})"), format!("?lang={l}")),
                    None => (site, String::new()),
                };
                (title, path, articles)
            }
            Scope::Story(id) => {
                let Some(story) = s.story(id)? else {
                    return Ok(None);
                };
                let live = story.merged_into.unwrap_or(id);
                let mut articles = s.story_articles(live, FEED_ITEMS)?;
                articles.reverse();
                let title = match s.story(live)? {
                    Some(x) => x.title,
                    None => story.title,
                };
                (
                    format!("{title} · {site}"),
                    format!("/stories/{live}"),
                    articles,
                )
            }
            Scope::Source(id) => {
                if s.source(id)?.is_none() {
                    return Ok(None);
                }
                let articles = s.articles(&ArticleQuery {
                    source: Some(id),
                    limit: FEED_ITEMS,
                    ..ArticleQuery::default()
                })?;
                let name = names.get(&id).cloned().unwrap_or_default();
                (
                    format!("{name} · {site}"),
                    format!("/sources/{id}"),
                    articles,
                )
            }
        };
        Ok(Some((title, path, articles, names)))
    })
    .await?
    .ok_or_else(|| WebError::NotFound("no such feed".into()))
}

fn updated(a: &Article) -> DateTime<Utc> {
    a.published().unwrap_or(a.discovered_at)
}

fn with_type(body: String, content_type: &'static str) -> Response {
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
        body,
    )
        .into_response()
}

/// `path` is the page the feed belongs to, `query` its filter (`?lang=de`).
fn atom(
    base: &str,
    title: &str,
    page: &str,
    feed: &str,
    items: &[Article],
    names: &Names,
) -> String {
    use atom_syndication::{Content, Entry, Feed, Link, Person, Text};
    let link = |href: String, rel: &str| Link {
        href,
        rel: rel.into(),
        ..Link::default()
    };
    let entries: Vec<Entry> = items
        .iter()
        .map(|a| {
            let p = a.processed.clone().unwrap_or_default();
            let page = format!("{base}/articles/{}", a.id);
            let mut links = vec![link(page.clone(), "alternate")];
            if let Some(orig) = safe_url(a.url.as_deref()) {
                links.push(link(orig, "related"));
            }
            let author = p
                .author
                .clone()
                .filter(|x| !x.is_empty())
                .or_else(|| names.get(&a.source_id).cloned())
                .unwrap_or_default();
            Entry {
                title: Text::plain(a.title()),
                id: page,
                updated: updated(a).fixed_offset(),
                published: a.published().map(|d| d.fixed_offset()),
                authors: vec![Person {
                    name: author,
                    ..Person::default()
                }],
                links,
                content: Some(Content {
                    value: Some(p.html),
                    content_type: Some("html".into()),
                    lang: a.lang().map(str::to_string),
                    ..Content::default()
                }),
                ..Entry::default()
            }
        })
        .collect();
    let feed = Feed {
        title: Text::plain(title),
        id: format!("{base}{feed}"),
        updated: items
            .iter()
            .map(updated)
            .max()
            .unwrap_or_default()
            .fixed_offset(),
        links: vec![
            link(format!("{base}{feed}"), "self"),
            link(format!("{base}{page}"), "alternate"),
        ],
        entries,
        ..Feed::default()
    };
    feed.to_string()
}

fn json_feed(
    base: &str,
    title: &str,
    page: &str,
    feed: &str,
    items: &[Article],
    names: &Names,
) -> String {
    let items: Vec<serde_json::Value> = items
        .iter()
        .map(|a| {
            let p = a.processed.clone().unwrap_or_default();
            let author = p
                .author
                .clone()
                .filter(|x| !x.is_empty())
                .or_else(|| names.get(&a.source_id).cloned());
            serde_json::json!({
                "id": format!("{base}/articles/{}", a.id),
                "url": format!("{base}/articles/{}", a.id),
                "external_url": safe_url(a.url.as_deref()),
                "title": a.title(),
                "content_html": p.html,
                "date_published": a.published().map(|d| d.to_rfc3339()),
                "authors": author.map(|n| vec![serde_json::json!({ "name": n })]).unwrap_or_default(),
                "language": a.lang(),
            })
        })
        .collect();
    serde_json::json!({
        "version": "https://jsonfeed.org/version/1.1",
        "title": title,
        "home_page_url": format!("{base}{page}"),
        "feed_url": format!("{base}{feed}"),
        "items": items,
    })
    .to_string()
}

/// Renders the scope as Atom or JSON Feed.
async fn respond(
    st: &AppState,
    headers: &HeaderMap,
    scope: Scope,
    json: bool,
    feed_path: String,
) -> Result<Response, WebError> {
    let (title, page, items, names) = collect(st, scope).await?;
    let page = if page.starts_with('?') {
        format!("/{page}")
    } else {
        page
    };
    Ok(render_feed(
        st, headers, &title, &page, &feed_path, &items, &names, json,
    ))
}

/// Atom or JSON Feed of `items` (newest first); `page` and `feed` are the
/// site-relative paths of the page the feed follows and of the feed itself.
#[allow(clippy::too_many_arguments)]
pub(crate) fn render_feed(
    st: &AppState,
    headers: &HeaderMap,
    title: &str,
    page: &str,
    feed: &str,
    items: &[Article],
    names: &Names,
    json: bool,
) -> Response {
    let base = base(st, headers);
    if json {
        with_type(
            json_feed(&base, title, page, feed, items, names),
            "application/feed+json",
        )
    } else {
        with_type(
            atom(&base, title, page, feed, items, names),
            "application/atom+xml; charset=utf-8",
        )
    }
}

fn lang_filter(p: FeedParams) -> Result<Option<String>, WebError> {
    crate::pages::clean_lang(p.lang)
}

pub(crate) async fn site_atom(
    State(st): State<AppState>,
    headers: HeaderMap,
    Query(p): Query<FeedParams>,
) -> Result<Response, WebError> {
    let lang = lang_filter(p)?;
    let path = format!(
        "/feed.atom{}",
        lang.as_deref()
            .map(|l| format!("?lang={l}"))
            .unwrap_or_default()
    );
    respond(&st, &headers, Scope::Site(lang), false, path).await
}

pub(crate) async fn site_json(
    State(st): State<AppState>,
    headers: HeaderMap,
    Query(p): Query<FeedParams>,
) -> Result<Response, WebError> {
    let lang = lang_filter(p)?;
    let path = format!(
        "/feed.json{}",
        lang.as_deref()
            .map(|l| format!("?lang={l}"))
            .unwrap_or_default()
    );
    respond(&st, &headers, Scope::Site(lang), true, path).await
}

pub(crate) async fn story_atom(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    respond(
        &st,
        &headers,
        Scope::Story(id),
        false,
        format!("/stories/{id}/feed.atom"),
    )
    .await
}

pub(crate) async fn story_json(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    respond(
        &st,
        &headers,
        Scope::Story(id),
        true,
        format!("/stories/{id}/feed.json"),
    )
    .await
}

pub(crate) async fn source_atom(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    respond(
        &st,
        &headers,
        Scope::Source(id),
        false,
        format!("/sources/{id}/feed.atom"),
    )
    .await
}

pub(crate) async fn source_json(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    respond(
        &st,
        &headers,
        Scope::Source(id),
        true,
        format!("/sources/{id}/feed.json"),
    )
    .await
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// The ordinary sitemap: home, live stories, articles (newest first).
pub(crate) async fn sitemap(
    State(st): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let (stories, articles) = read(&st, |s| {
        let stories = s.stories(&StoryQuery {
            limit: 500,
            ..StoryQuery::default()
        })?;
        let mut articles = Vec::new();
        while articles.len() < SITEMAP_ARTICLES {
            let page = s.articles(&ArticleQuery {
                limit: 500,
                offset: articles.len(),
                ..ArticleQuery::default()
            })?;
            let done = page.len() < 500;
            articles.extend(page.into_iter().map(|a| (a.id, updated(&a))));
            if done {
                break;
            }
        }
        Ok((stories, articles))
    })
    .await?;
    let base = base(&st, &headers);
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    out.push_str(&format!("<url><loc>{}/</loc></url>\n", xml_escape(&base)));
    for s in &stories {
        out.push_str(&format!(
            "<url><loc>{}/stories/{}</loc>{}</url>\n",
            xml_escape(&base),
            s.id,
            s.last_at
                .map(|d| format!("<lastmod>{}</lastmod>", d.to_rfc3339()))
                .unwrap_or_default()
        ));
    }
    for (id, at) in &articles {
        out.push_str(&format!(
            "<url><loc>{}/articles/{id}</loc><lastmod>{}</lastmod></url>\n",
            xml_escape(&base),
            at.to_rfc3339()
        ));
    }
    out.push_str("</urlset>\n");
    Ok(with_type(out, "application/xml; charset=utf-8"))
}

/// The Google News sitemap: articles published in the last two days.
pub(crate) async fn news_sitemap(
    State(st): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let since = Utc::now() - Duration::days(2);
    let (articles, names) = read(&st, move |s| {
        let names = views::names(&s.sources()?);
        let articles: Vec<Article> = s
            .articles(&ArticleQuery {
                limit: 500,
                ..ArticleQuery::default()
            })?
            .into_iter()
            .chain(s.articles(&ArticleQuery {
                limit: 500,
                offset: 500,
                ..ArticleQuery::default()
            })?)
            .filter(|a| a.published().is_some_and(|d| d >= since))
            .take(NEWS_ITEMS)
            .collect();
        Ok((articles, names))
    })
    .await?;
    let base = xml_escape(&base(&st, &headers));
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\" xmlns:news=\"http://www.google.com/schemas/sitemap-news/0.9\">\n",
    );
    for a in &articles {
        out.push_str(&format!(
            "<url><loc>{base}/articles/{}</loc><news:news><news:publication><news:name>{}</news:name><news:language>{}</news:language></news:publication><news:publication_date>{}</news:publication_date><news:title>{}</news:title></news:news></url>\n",
            a.id,
            xml_escape(names.get(&a.source_id).map(String::as_str).unwrap_or("")),
            xml_escape(a.lang().unwrap_or("und")),
            updated(a).to_rfc3339(),
            xml_escape(a.title()),
        ));
    }
    out.push_str("</urlset>\n");
    Ok(with_type(out, "application/xml; charset=utf-8"))
}

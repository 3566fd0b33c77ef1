//! Feed and sitemap requests: which articles a feed holds (site, story or
//! source; search feeds live in `search`), rendered by the pure `publish`
//! module. One handler serves every scope and format: the path says which.

use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use chrono::{Duration, Utc};
use courant_model::Article;
use courant_store::{ArticleQuery, StoryQuery};
use serde::Deserialize;

use crate::publish::{self, Feed, Format, Translated};
use crate::views::{self, Names};
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
#[derive(Debug, Clone, PartialEq)]
enum Scope {
    Site(Option<String>),
    Story(i64),
    Source(i64),
}

/// A feed request as its path names it: `/feed.atom`, `/stories/7/feed.json`,
/// `/sources/3/feed.atom`.
#[derive(Debug, PartialEq)]
pub(crate) struct FeedPath {
    /// The scope without its language filter (that comes from the query).
    scope: Scope,
    format: Format,
}

impl FeedPath {
    fn parse(path: &str) -> Result<FeedPath, WebError> {
        let not_found = || WebError::NotFound("no such feed".into());
        let (dir, format) = Format::split(path).ok_or_else(not_found)?;
        let id = |s: &str| {
            s.parse::<i64>()
                .map_err(|_| WebError::BadRequest(format!("not an id: {s}")))
        };
        let scope = match dir.split('/').collect::<Vec<_>>()[..] {
            [""] => Scope::Site(None),
            ["", "stories", n] => Scope::Story(id(n)?),
            ["", "sources", n] => Scope::Source(id(n)?),
            _ => return Err(not_found()),
        };
        Ok(FeedPath { scope, format })
    }
}

impl<S: Send + Sync> FromRequestParts<S> for FeedPath {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, WebError> {
        FeedPath::parse(parts.uri.path())
    }
}

/// Absolute base of the site's own links: the configured `base_url`, else
/// the request's Host when it names this machine (localhost, 127.x, [::1]).
/// Any other Host is the client's word only: feeds and sitemaps built on it
/// would point readers wherever a request said, so they are refused until
/// `base_url` is set.
pub(crate) fn base(st: &AppState, headers: &HeaderMap) -> Result<String, WebError> {
    if let Some(b) = &st.cfg.base_url {
        return Ok(b.trim_end_matches('/').to_string());
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    if loopback_host(host) {
        Ok(format!("http://{host}"))
    } else {
        Err(WebError::Unavailable(
            "feeds and sitemaps need absolute links: set [site] base_url in the config".into(),
        ))
    }
}

/// `localhost`, `127.x.x.x` or `[::1]`, with an optional port.
fn loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(v6) => match v6.split_once(']') {
            Some((ip, rest)) if rest.is_empty() || rest.starts_with(':') => {
                return ip
                    .parse::<std::net::Ipv6Addr>()
                    .is_ok_and(|a| a.is_loopback())
                    && port_ok(rest);
            }
            _ => return false,
        },
        None => host,
    };
    let (name, port) = name.split_once(':').map_or((name, ""), |(n, p)| (n, p));
    let port_fine = port.is_empty() || port.parse::<u16>().is_ok();
    port_fine
        && (name.eq_ignore_ascii_case("localhost")
            || name
                .parse::<std::net::Ipv4Addr>()
                .is_ok_and(|a| a.is_loopback()))
}

fn port_ok(rest: &str) -> bool {
    rest.is_empty() || rest[1..].parse::<u16>().is_ok()
}

/// What a feed holds: title, page path, entries (newest first), source
/// names, and which entries are translations.
type Collected = (String, String, Vec<Article>, Names, Translated);

/// An edition's own articles and the translations published into its
/// language, newest first. A translation stands in as a copy of its original
/// with the translated title and body, labelled at the top of the body.
fn edition_items(
    s: &dyn courant_store::Store,
    lang: &str,
) -> courant_store::Result<(Vec<Article>, Translated)> {
    let mut items = s.articles(&ArticleQuery {
        lang: Some(lang.to_string()),
        limit: FEED_ITEMS,
        ..ArticleQuery::default()
    })?;
    let mut translated = Translated::new();
    let q = courant_store::TranslationQuery {
        lang: Some(lang.to_string()),
        status: Some(courant_model::TranslationStatus::Published),
        limit: FEED_ITEMS,
        ..Default::default()
    };
    for t in s.translations(&q)? {
        let Some(mut a) = s.article(t.article)? else {
            continue;
        };
        if let Some(p) = a.processed.as_mut() {
            p.title = t.title.clone();
            p.html = format!(
                "<p><em>{}</em></p>{}",
                courant_text::escape_text(&format!(
                    "Machine-translated from {} by {}.",
                    t.from, t.label
                )),
                t.html
            );
            p.lang = Some(t.lang.clone());
        }
        translated.insert(a.id, t.lang.clone());
        items.push(a);
    }
    items.sort_by_key(|a| std::cmp::Reverse(crate::publish::updated(a)));
    items.truncate(FEED_ITEMS);
    Ok((items, translated))
}

/// Title, path and articles (newest first) of a feed.
async fn collect(st: &AppState, scope: Scope) -> Result<Collected, WebError> {
    let site = st.cfg.site_title.clone();
    read(st, move |s| {
        let names = views::names(&s.sources()?);
        let mut translated = Translated::new();
        let (title, path, articles) = match scope {
            Scope::Site(lang) => {
                let articles = match &lang {
                    Some(l) => {
                        let (items, t) = edition_items(s, l)?;
                        translated = t;
                        items
                    }
                    None => s.articles(&ArticleQuery {
                        limit: FEED_ITEMS,
                        ..ArticleQuery::default()
                    })?,
                };
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
        Ok(Some((title, path, articles, names, translated)))
    })
    .await?
    .ok_or_else(|| WebError::NotFound("no such feed".into()))
}

fn with_type(body: String, content_type: &'static str) -> Response {
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
        body,
    )
        .into_response()
}

/// Renders `items` (newest first) as a feed; `page` and `feed` are the
/// site-relative paths of the page the feed follows and of the feed itself.
pub(crate) fn respond(
    st: &AppState,
    headers: &HeaderMap,
    format: Format,
    (title, page, feed): (&str, &str, &str),
    items: &[Article],
    names: &Names,
    translated: &Translated,
) -> Response {
    let base = match base(st, headers) {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let body = Feed {
        base: &base,
        title,
        page,
        feed,
        items,
        names,
        translated,
    }
    .render(format);
    with_type(body, format.content_type())
}

/// Every site, story and source feed, in either format.
pub(crate) async fn feed(
    State(st): State<AppState>,
    headers: HeaderMap,
    FeedPath { scope, format }: FeedPath,
    Query(p): Query<FeedParams>,
) -> Result<Response, WebError> {
    let (scope, feed_path) = match scope {
        Scope::Site(_) => {
            let lang = crate::pages::clean_lang(p.lang)?;
            let query = lang
                .as_deref()
                .map(|l| format!("?lang={l}"))
                .unwrap_or_default();
            (Scope::Site(lang), format!("/feed.{}{query}", format.ext()))
        }
        Scope::Story(id) => (scope, format!("/stories/{id}/feed.{}", format.ext())),
        Scope::Source(id) => (scope, format!("/sources/{id}/feed.{}", format.ext())),
    };
    let (title, page, items, names, translated) = collect(&st, scope).await?;
    let page = if page.starts_with('?') {
        format!("/{page}")
    } else {
        page
    };
    Ok(respond(
        &st,
        &headers,
        format,
        (&title, &page, &feed_path),
        &items,
        &names,
        &translated,
    ))
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
            articles.extend(page.into_iter().map(|a| (a.id, publish::updated(&a))));
            if done {
                break;
            }
        }
        Ok((stories, articles))
    })
    .await?;
    let body = publish::sitemap(&base(&st, &headers)?, &stories, &articles);
    Ok(with_type(body, "application/xml; charset=utf-8"))
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
    let body = publish::news_sitemap(&base(&st, &headers)?, &articles, &names);
    Ok(with_type(body, "application/xml; charset=utf-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_paths_name_scope_and_format() {
        let ok = [
            ("/feed.atom", Scope::Site(None), Format::Atom),
            ("/feed.json", Scope::Site(None), Format::Json),
            ("/stories/7/feed.json", Scope::Story(7), Format::Json),
            ("/sources/3/feed.atom", Scope::Source(3), Format::Atom),
        ];
        for (path, scope, format) in ok {
            assert_eq!(
                FeedPath::parse(path).ok(),
                Some(FeedPath { scope, format }),
                "{path}"
            );
        }
        let not_found = [
            "/feed.rss",
            "/articles/1/feed.atom",
            "/stories/feed.atom",
            "/feed",
        ];
        for path in not_found {
            assert!(
                matches!(FeedPath::parse(path), Err(WebError::NotFound(_))),
                "{path}"
            );
        }
        let bad = [
            "/stories/x/feed.atom",
            "/sources/99999999999999999999/feed.json",
        ];
        for path in bad {
            assert!(
                matches!(FeedPath::parse(path), Err(WebError::BadRequest(_))),
                "{path}"
            );
        }
    }
}

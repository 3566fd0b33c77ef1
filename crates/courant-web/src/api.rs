//! The JSON API, version 1.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use courant_store::{ArticleQuery, Counts, StoryQuery};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::search::{self, SearchParams};
use crate::views::{self, ArticleSummary, ArticleView, SourceView, StoryView, TimelineEntry};
use crate::{read, AppState, WebError};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/articles", get(articles))
        .route("/articles/{id}", get(article))
        .route("/articles/{id}/translations", get(crate::translations::api))
        .route("/sources", get(sources))
        .route("/sources/{id}", get(source))
        .route("/sources", axum::routing::post(add_source))
        .route("/sources/{id}", axum::routing::delete(remove_source))
        .route(
            "/articles/{id}/hide",
            axum::routing::post(hide).delete(unhide),
        )
        .route("/openapi.json", get(openapi))
        .route("/stories", get(stories))
        .route("/stories/{id}", get(story))
        .route("/stats", get(stats))
        .route("/search", get(search_articles))
        .fallback(|| async { ApiError::from(WebError::NotFound("no such API route".into())) })
        .layer(axum::middleware::from_fn(json_errors))
}

/// Errors the framework answers itself (a path or query that does not
/// parse, a body that is not JSON, a method the route lacks) come as plain
/// text; the API answers JSON, as its document says, whatever failed.
async fn json_errors(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
    let resp = next.run(req).await;
    let json = resp
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if json || !(resp.status().is_client_error() || resp.status().is_server_error()) {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let text = if text.is_empty() {
        parts
            .status
            .canonical_reason()
            .unwrap_or("error")
            .to_string()
    } else {
        text
    };
    parts.headers.remove(CONTENT_LENGTH);
    parts.headers.insert(
        CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/json"),
    );
    let body = serde_json::json!({ "error": text }).to_string();
    Response::from_parts(parts, axum::body::Body::from(body))
}

#[derive(Debug, Deserialize)]
struct ArticleParams {
    source: Option<i64>,
    lang: Option<String>,
    limit: Option<u32>,
    offset: Option<u32>,
}

#[derive(Serialize)]
struct ArticleList {
    articles: Vec<ArticleSummary>,
    limit: usize,
    offset: usize,
}

/// A full article in the API: the view plus the plain text.
#[derive(Serialize)]
struct ArticleFull {
    #[serde(flatten)]
    view: ArticleView,
    /// Cleaned text, as shown.
    text: String,
    /// Text as extracted, before repairs.
    original_text: String,
    status: &'static str,
}

async fn articles(
    State(st): State<AppState>,
    Query(p): Query<ArticleParams>,
) -> Result<Json<ArticleList>, ApiError> {
    let limit = p.limit.unwrap_or(50).clamp(1, 500) as usize;
    let offset = p.offset.unwrap_or(0) as usize;
    let q = ArticleQuery {
        source: p.source,
        lang: p.lang.filter(|l| !l.is_empty()),
        limit,
        offset,
        ..ArticleQuery::default()
    };
    let (sources, list) = read(&st, move |s| Ok((s.sources()?, s.articles(&q)?))).await?;
    let names = views::names(&sources);
    Ok(Json(ArticleList {
        articles: list.iter().map(|a| views::summary(a, &names)).collect(),
        limit,
        offset,
    }))
}

async fn article(
    State(st): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<ArticleFull>, ApiError> {
    let (a, src) = crate::article_with_source(&st, id).await?;
    let a = a
        .filter(|a| a.status != courant_model::ArticleStatus::Hidden)
        .ok_or_else(|| WebError::NotFound(format!("no article {id}")))?;
    Ok(Json(ArticleFull {
        view: views::article(&a, src.as_ref()),
        text: a
            .processed
            .as_ref()
            .map(|p| p.text.clone())
            .unwrap_or_default(),
        original_text: a
            .processed
            .as_ref()
            .map(|p| {
                if p.original_text.is_empty() {
                    p.text.clone()
                } else {
                    p.original_text.clone()
                }
            })
            .unwrap_or_default(),
        status: a.status.as_str(),
    }))
}

async fn sources(State(st): State<AppState>) -> Result<Json<Vec<SourceView>>, ApiError> {
    let list = read(&st, |s| s.sources()).await?;
    Ok(Json(list.iter().map(views::source).collect()))
}

async fn source(
    State(st): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<SourceView>, ApiError> {
    let s = read(&st, move |s| s.source(id)).await?;
    s.map(|s| Json(views::source(&s)))
        .ok_or_else(|| WebError::NotFound(format!("no source {id}")).into())
}

async fn stats(State(st): State<AppState>) -> Result<Json<Counts>, ApiError> {
    Ok(Json(read(&st, |s| s.counts()).await?))
}

#[derive(Debug, Deserialize)]
struct StoryParams {
    source: Option<i64>,
    lang: Option<String>,
    limit: Option<u32>,
}

/// Top stories, ranked as on the home page.
async fn stories(
    State(st): State<AppState>,
    Query(p): Query<StoryParams>,
) -> Result<Json<Vec<StoryView>>, ApiError> {
    let limit = p.limit.unwrap_or(50).clamp(1, 500) as usize;
    let q = StoryQuery {
        source: p.source,
        lang: p.lang.filter(|l| !l.is_empty()),
        limit: 500,
    };
    let mut list = read(&st, move |s| s.stories(&q)).await?;
    views::rank(&mut list, chrono::Utc::now());
    list.truncate(limit);
    Ok(Json(list.iter().map(views::story).collect()))
}

#[derive(Serialize)]
struct StoryFull {
    #[serde(flatten)]
    story: StoryView,
    /// Set when this id was merged: the story it now belongs to.
    merged_into: Option<i64>,
    timeline: Vec<TimelineEntry>,
    related: Vec<StoryView>,
    /// The event's coverage per language (this story included). Not
    /// `languages`: the flattened story already has that key, its count.
    coverage: Vec<views::Coverage>,
    /// The event's stories in other languages.
    elsewhere: Vec<StoryView>,
}

/// One story with its timeline and related stories. A merged id answers with
/// `merged_into` and the survivor's content.
async fn story(
    State(st): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<StoryFull>, ApiError> {
    let found = read(&st, move |s| {
        let Some(asked) = s.story(id)? else {
            return Ok(None);
        };
        let live = match asked.merged_into {
            Some(to) => match s.story(to)? {
                Some(x) => x,
                None => return Ok(None),
            },
            None => asked.clone(),
        };
        let members = s.story_articles(live.id, 1_000)?;
        let related = s.related_stories(live.id, 8)?;
        let event = s.event_stories(live.id)?;
        Ok(Some((asked, live, members, related, event, s.sources()?)))
    })
    .await?;
    let (asked, live, members, related, event, sources) =
        found.ok_or_else(|| WebError::NotFound(format!("no story {id}")))?;
    let names = views::names(&sources);
    Ok(Json(StoryFull {
        story: views::story(&live),
        merged_into: asked.merged_into,
        timeline: views::timeline(&members, &names),
        related: related.iter().map(|(s, _)| views::story(s)).collect(),
        coverage: views::coverage(&event),
        elsewhere: event
            .iter()
            .filter(|s| s.id != live.id)
            .map(views::story)
            .collect(),
    }))
}

/// The OpenAPI document of this API.
async fn openapi() -> impl axum::response::IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        include_str!("../openapi.json"),
    )
}

/// Write operations need `Authorization: Bearer <token>` with the token from
/// the config; without a configured token they are off.
fn authorize(st: &AppState, headers: &axum::http::HeaderMap) -> Result<(), ApiError> {
    let Some(token) = st.cfg.api_token.as_deref().filter(|t| !t.is_empty()) else {
        return Err(
            WebError::Forbidden("write API is off: set [api] token in the config".into()).into(),
        );
    };
    if crate::guard::constant_time_eq(crate::guard::bearer(headers).as_bytes(), token.as_bytes()) {
        Ok(())
    } else {
        Err(WebError::Unauthorized("missing or wrong bearer token".into()).into())
    }
}

#[derive(Debug, Deserialize)]
struct NewSourceBody {
    feed_url: String,
    #[serde(default)]
    name: String,
    lang: Option<String>,
    attribution: Option<String>,
}

/// Adds a source (or updates the one with the same feed URL).
async fn add_source(
    State(st): State<AppState>,
    headers: axum::http::HeaderMap,
    Json(body): Json<NewSourceBody>,
) -> Result<(axum::http::StatusCode, Json<SourceView>), ApiError> {
    authorize(&st, &headers)?;
    let url = body.feed_url;
    if !crate::feed_url::acceptable(&url) {
        return Err(WebError::BadRequest(
            "feed_url must be an http(s) URL with a host name (see the API document)".into(),
        )
        .into());
    }
    let lang = crate::pages::clean_lang(body.lang)?;
    let new = courant_model::NewSource {
        feed_url: url,
        name: body.name.chars().take(200).collect(),
        lang,
        attribution: body.attribution.map(|a| a.chars().take(1000).collect()),
    };
    let src = read(&st, move |s| s.add_source(&new)).await?;
    crate::forget_pages(&st);
    Ok((axum::http::StatusCode::CREATED, Json(views::source(&src))))
}

/// Removes a source and its articles.
async fn remove_source(
    State(st): State<AppState>,
    headers: axum::http::HeaderMap,
    Path(id): Path<i64>,
) -> Result<axum::http::StatusCode, ApiError> {
    authorize(&st, &headers)?;
    if read(&st, move |s| s.remove_source(id)).await? {
        crate::forget_pages(&st);
        Ok(axum::http::StatusCode::NO_CONTENT)
    } else {
        Err(WebError::NotFound(format!("no source {id}")).into())
    }
}

async fn set_hidden(
    st: AppState,
    headers: axum::http::HeaderMap,
    id: i64,
    hidden: bool,
) -> Result<axum::http::StatusCode, ApiError> {
    authorize(&st, &headers)?;
    if read(&st, move |s| s.set_hidden(id, hidden)).await? {
        crate::forget_pages(&st);
        Ok(axum::http::StatusCode::NO_CONTENT)
    } else {
        Err(WebError::NotFound(format!("no shown or hidden article {id}")).into())
    }
}

/// Hides an article everywhere.
async fn hide(
    State(st): State<AppState>,
    headers: axum::http::HeaderMap,
    Path(id): Path<i64>,
) -> Result<axum::http::StatusCode, ApiError> {
    set_hidden(st, headers, id, true).await
}

/// Shows a hidden article again.
async fn unhide(
    State(st): State<AppState>,
    headers: axum::http::HeaderMap,
    Path(id): Path<i64>,
) -> Result<axum::http::StatusCode, ApiError> {
    set_hidden(st, headers, id, false).await
}

/// `/api/v1/search`
async fn search_articles(
    State(st): State<AppState>,
    Query(p): Query<SearchParams>,
) -> Result<Response, ApiError> {
    Ok(Json(search::results(&st, p).await?).into_response())
}

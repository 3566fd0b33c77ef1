//! HTML pages.

use axum::extract::{Path, Query, State};
use axum::response::Html;
use courant_store::ArticleQuery;
use minijinja::context;
use serde::{Deserialize, Serialize};

use crate::views::{self, ArticleSummary};
use crate::{read, render, AppState, WebError};

const PER_GROUP: usize = 6;
const PAGE: usize = 50;

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ListParams {
    lang: Option<String>,
    page: Option<usize>,
}

fn clean_lang(l: Option<String>) -> Result<Option<String>, WebError> {
    match l.filter(|l| !l.is_empty()) {
        Some(l) if l.len() <= 12 && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') => {
            Ok(Some(l))
        }
        Some(_) => Err(WebError::BadRequest("invalid language code".into())),
        None => Ok(None),
    }
}

#[derive(Serialize)]
struct GroupView {
    source_id: i64,
    source_name: String,
    lang: Option<String>,
    total: i64,
    articles: Vec<ArticleSummary>,
}

/// Latest articles grouped by source and language.
pub(crate) async fn home(
    State(st): State<AppState>,
    Query(p): Query<ListParams>,
) -> Result<Html<String>, WebError> {
    let lang = clean_lang(p.lang)?;
    let want = lang.clone();
    let (counts, sources, groups) = read(&st, move |s| {
        let sources = s.sources()?;
        let names = views::names(&sources);
        let mut out = Vec::new();
        for g in s
            .groups()?
            .into_iter()
            .filter(|g| want.as_deref().is_none_or(|l| l == g.lang))
        {
            let articles = s.articles(&ArticleQuery {
                source: Some(g.source),
                lang: Some(g.lang.clone()),
                limit: PER_GROUP,
                ..ArticleQuery::default()
            })?;
            out.push(GroupView {
                source_id: g.source,
                source_name: names.get(&g.source).cloned().unwrap_or_default(),
                lang: (g.lang != "und").then_some(g.lang),
                total: g.count,
                articles: articles.iter().map(|a| views::summary(a, &names)).collect(),
            });
        }
        Ok((s.counts()?, sources.len(), out))
    })
    .await?;
    render(
        &st,
        "home.html",
        context! { counts, source_count => sources, groups, lang },
    )
}

/// Every article, newest first, paged.
pub(crate) async fn latest(
    State(st): State<AppState>,
    Query(p): Query<ListParams>,
) -> Result<Html<String>, WebError> {
    let lang = clean_lang(p.lang)?;
    list_page(
        st,
        None,
        lang,
        p.page.unwrap_or(1),
        "Latest".into(),
        "/latest".into(),
    )
    .await
}

/// One source: health and its articles.
pub(crate) async fn source(
    State(st): State<AppState>,
    Path(id): Path<i64>,
    Query(p): Query<ListParams>,
) -> Result<Html<String>, WebError> {
    let lang = clean_lang(p.lang)?;
    list_page(
        st,
        Some(id),
        lang,
        p.page.unwrap_or(1),
        String::new(),
        format!("/sources/{id}"),
    )
    .await
}

async fn list_page(
    st: AppState,
    source_id: Option<i64>,
    lang: Option<String>,
    page: usize,
    heading: String,
    path: String,
) -> Result<Html<String>, WebError> {
    let page = page.clamp(1, 100_000);
    let offset = (page - 1) * PAGE;
    let q = ArticleQuery {
        source: source_id,
        lang: lang.clone(),
        limit: PAGE + 1,
        offset,
        ..ArticleQuery::default()
    };
    let (sources, mut articles) = read(&st, move |s| Ok((s.sources()?, s.articles(&q)?))).await?;
    let source = match source_id {
        Some(id) => Some(
            sources
                .iter()
                .find(|s| s.id == id)
                .map(views::source)
                .ok_or_else(|| WebError::NotFound(format!("no source {id}")))?,
        ),
        None => None,
    };
    let more = articles.len() > PAGE;
    articles.truncate(PAGE);
    let names = views::names(&sources);
    let articles: Vec<_> = articles.iter().map(|a| views::summary(a, &names)).collect();
    let lang_q = lang
        .as_deref()
        .map(|l| format!("lang={l}&"))
        .unwrap_or_default();
    let prev_url = (page > 1).then(|| format!("{path}?{lang_q}page={}", page - 1));
    let next_url = more.then(|| format!("{path}?{lang_q}page={}", page + 1));
    let heading = match &source {
        Some(s) => format!(
            "{}{}",
            s.name,
            lang.as_deref()
                .map(|l| format!(" ({l})"))
                .unwrap_or_default()
        ),
        None => format!(
            "{heading}{}",
            lang.as_deref()
                .map(|l| format!(" ({l})"))
                .unwrap_or_default()
        ),
    };
    render(
        &st,
        "list.html",
        context! { heading, source, articles, offset, prev_url, next_url },
    )
}

/// A processed article and its source; anything else is not found.
async fn shown_article(
    st: &AppState,
    id: i64,
) -> Result<(courant_model::Article, Option<courant_model::Source>), WebError> {
    let (a, src) = crate::article_with_source(st, id).await?;
    let a = a
        .filter(|a| a.processed.is_some())
        .ok_or_else(|| WebError::NotFound(format!("no article {id}")))?;
    Ok((a, src))
}

/// One article.
pub(crate) async fn article(
    State(st): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Html<String>, WebError> {
    let (a, src) = shown_article(&st, id).await?;
    render(
        &st,
        "article.html",
        context! { a => views::article(&a, src.as_ref()) },
    )
}

/// All sources with their health.
pub(crate) async fn sources(State(st): State<AppState>) -> Result<Html<String>, WebError> {
    let sources = read(&st, |s| s.sources()).await?;
    let sources: Vec<_> = sources.iter().map(views::source).collect();
    render(&st, "sources.html", context! { sources })
}

/// The original text of an article with the checker's findings marked.
pub(crate) async fn original(
    State(st): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Html<String>, WebError> {
    let (a, src) = shown_article(&st, id).await?;
    let p = a.processed.clone().unwrap_or_default();
    let original = if p.original_text.is_empty() {
        p.text.clone()
    } else {
        p.original_text.clone()
    };
    let marked = views::marked_original(&original, &p.findings);
    render(
        &st,
        "original.html",
        context! { a => views::article(&a, src.as_ref()), marked },
    )
}

//! Machine translations on the site: `/{lang}/articles/{id}` shows a
//! published translation with its label, the original beside it and
//! `hreflang` alternates; `/api/v1/articles/{id}/translations` lists every
//! translation with its status and the gate's reasons (for operators).
//! Held or failed translations are never shown to readers.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use courant_model::{Translation, TranslationStatus};
use minijinja::context;
use serde::Serialize;

use crate::error::ApiError;
use crate::pages::edition_code;
use crate::{read, views, AppState, WebError};

/// A translation as pages and the API show it.
#[derive(Debug, Serialize)]
pub(crate) struct TranslationView {
    pub article: i64,
    pub lang: String,
    pub from: String,
    pub provider: String,
    pub label: String,
    pub status: &'static str,
    pub title: String,
    pub reasons: Vec<String>,
    pub error: Option<String>,
    pub attempts: i64,
    pub next_attempt: Option<String>,
    pub updated: String,
    pub published: Option<String>,
}

pub(crate) fn view(t: &Translation) -> TranslationView {
    TranslationView {
        article: t.article,
        lang: t.lang.clone(),
        from: t.from.clone(),
        provider: t.provider.clone(),
        label: t.label.clone(),
        status: t.status.as_str(),
        title: t.title.clone(),
        reasons: t.reasons.clone(),
        error: t.error.clone(),
        attempts: t.attempts,
        next_attempt: t.next_attempt.map(|d| d.to_rfc3339()),
        updated: t.updated_at.to_rfc3339(),
        published: t.published.map(|d| d.format("%Y-%m-%d %H:%M").to_string()),
    }
}

/// `/{lang}/articles/{id}`: the article in the edition's language.
pub(crate) async fn page(
    State(st): State<AppState>,
    Path((code, id)): Path<(String, i64)>,
) -> Result<Response, WebError> {
    let code = edition_code(&code)?;
    let (a, src) = crate::article_with_source(&st, id).await?;
    let a = a
        .filter(|a| a.processed.is_some() && a.status == courant_model::ArticleStatus::Ready)
        .ok_or_else(|| WebError::NotFound(format!("no article {id}")))?;
    if a.lang() == Some(code.as_str()) {
        return Ok(Redirect::to(&format!("/articles/{id}")).into_response());
    }
    let all = read(&st, move |s| s.translations_of(id)).await?;
    let t = all
        .iter()
        .find(|t| t.lang == code && t.status == TranslationStatus::Published)
        .ok_or_else(|| WebError::NotFound(format!("no translation of article {id} into {code}")))?;
    let others: Vec<_> = all
        .iter()
        .filter(|x| x.status == TranslationStatus::Published && x.lang != code)
        .map(view)
        .collect();
    let html = crate::render_in(
        &st,
        Some(&code),
        "translation.html",
        context! {
            a => views::article(&a, src.as_ref()),
            tr => view(t),
            body => t.html.clone(),
            others,
        },
    )?;
    Ok(html.into_response())
}

/// Published translations of an article, for its page.
pub(crate) async fn published_of(st: &AppState, id: i64) -> Result<Vec<TranslationView>, WebError> {
    let all = read(st, move |s| s.translations_of(id)).await?;
    Ok(all
        .iter()
        .filter(|t| t.status == TranslationStatus::Published)
        .map(view)
        .collect())
}

/// `/api/v1/articles/{id}/translations`: every translation with its status.
pub(crate) async fn api(
    State(st): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<Vec<TranslationView>>, ApiError> {
    let (a, _) = crate::article_with_source(&st, id).await?;
    a.filter(|a| a.status != courant_model::ArticleStatus::Hidden)
        .ok_or_else(|| WebError::NotFound(format!("no article {id}")))?;
    let all = read(&st, move |s| s.translations_of(id)).await?;
    Ok(Json(all.iter().map(view).collect()))
}

/// Published translations into an edition's language, newest original first.
pub(crate) fn for_edition(
    s: &dyn courant_store::Store,
    lang: &str,
    limit: usize,
) -> courant_store::Result<Vec<TranslationView>> {
    let q = courant_store::TranslationQuery {
        lang: Some(lang.to_string()),
        status: Some(TranslationStatus::Published),
        limit,
        ..Default::default()
    };
    Ok(s.translations(&q)?.iter().map(view).collect())
}

//! Failures a handler turns into a response: a status and a message fit to
//! show, as HTML for pages and as JSON for the API; the cause of a server
//! error goes to the log only.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::Json;

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
    /// 503: the site is not set up to answer this (a missing setting).
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// 429: too many failed attempts from one client; try again later.
    #[error("too many requests: {0}")]
    TooMany(String),
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
    pub(crate) fn status(&self) -> StatusCode {
        match self {
            WebError::NotFound(_) => StatusCode::NOT_FOUND,
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            WebError::Forbidden(_) => StatusCode::FORBIDDEN,
            WebError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            WebError::TooMany(_) => StatusCode::TOO_MANY_REQUESTS,
            // The database server is down or restarting: try again soon.
            WebError::Store(e) if e.is_unavailable() => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub(crate) fn public_message(&self) -> String {
        match self {
            WebError::NotFound(m)
            | WebError::BadRequest(m)
            | WebError::Unauthorized(m)
            | WebError::Forbidden(m)
            | WebError::Unavailable(m)
            | WebError::TooMany(m) => m.clone(),
            WebError::Store(e) if e.is_unavailable() => {
                "the database is out of reach for a moment; try again shortly".into()
            }
            _ => "internal error; see the server log".into(),
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(error = %self, "request failed");
        } else if matches!(self, WebError::Store(_)) {
            tracing::warn!(error = %self, "store out of reach");
        }
        let mut retry = None;
        if status == StatusCode::SERVICE_UNAVAILABLE && matches!(self, WebError::Store(_)) {
            retry = Some("5");
        }
        let body = format!(
            "<!doctype html><meta charset=utf-8><title>{status}</title><h1>{status}</h1><p>{}</p><p><a href=\"/\">Front page</a></p>",
            courant_text::escape_html(&self.public_message())
        );
        let mut resp = (status, Html(body)).into_response();
        if let Some(secs) = retry {
            resp.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static(secs),
            );
        }
        resp
    }
}

/// API errors answer in JSON: `{"error": "..."}` with the same status as the pages.
pub(crate) struct ApiError(WebError);

impl From<WebError> for ApiError {
    fn from(e: WebError) -> Self {
        ApiError(e)
    }
}

impl axum::response::IntoResponse for ApiError {
    fn into_response(self) -> axum::response::Response {
        let status = self.0.status();
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(error = %self.0, "api request failed");
        }
        (
            status,
            Json(serde_json::json!({ "error": self.0.public_message() })),
        )
            .into_response()
    }
}

//! The WebSub callback, `/websub/{source}`: the hub's verification of a
//! subscription (GET, answered with its challenge only when it names the
//! topic this instance asked for) and its deliveries (POST, stored only when
//! their HMAC signature matches the subscription's secret; a bad one is
//! acknowledged and dropped, as the specification asks, so a forger learns
//! nothing). Deliveries become entries like a poll's, and the scheduler
//! processes them.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use courant_model::SourceId;
use hmac::{Hmac, Mac};

use crate::{read, AppState, WebError};

/// The hub verifies an intent: subscribe (the lease starts) or unsubscribe
/// or denied (the subscription ends).
pub(crate) async fn verify(
    State(st): State<AppState>,
    Path(id): Path<SourceId>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let sub = read(&st, move |s| s.websub(id)).await?;
    let get = |k: &str| q.get(k).map(String::as_str);
    let Some(sub) = sub.filter(|w| get("hub.topic") == Some(w.topic.as_str())) else {
        return Err(WebError::NotFound("no such subscription".into()));
    };
    match get("hub.mode") {
        Some("subscribe") => {
            let Some(challenge) = get("hub.challenge") else {
                return Err(WebError::BadRequest("hub.challenge missing".into()));
            };
            let secs = get("hub.lease_seconds")
                .and_then(|s| s.parse::<i64>().ok())
                .unwrap_or(crate::websub::DEFAULT_LEASE_SECS)
                .clamp(60, 365 * 86_400);
            let until = Some(Utc::now() + chrono::Duration::seconds(secs));
            read(&st, move |s| s.websub_verified(sub.source_id, until)).await?;
            Ok(challenge.to_string().into_response())
        }
        Some("unsubscribe" | "denied") => {
            read(&st, move |s| s.websub_verified(sub.source_id, None)).await?;
            Ok(get("hub.challenge")
                .unwrap_or("")
                .to_string()
                .into_response())
        }
        _ => Err(WebError::BadRequest("unknown hub.mode".into())),
    }
}

/// Lease assumed when the hub names none.
pub(crate) const DEFAULT_LEASE_SECS: i64 = 86_400;

/// A delivery: the feed's new content, signed with the subscription's secret.
pub(crate) async fn deliver(
    State(st): State<AppState>,
    Path(id): Path<SourceId>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    let Some(sub) = read(&st, move |s| s.websub(id)).await? else {
        return Err(WebError::NotFound("no such subscription".into()));
    };
    let signature = headers
        .get("x-hub-signature-256")
        .or_else(|| headers.get("x-hub-signature"))
        .and_then(|v| v.to_str().ok());
    if !signed(sub.secret.as_bytes(), &body, signature) {
        tracing::warn!(source = id, "WebSub delivery with a bad signature dropped");
        return Ok(StatusCode::ACCEPTED.into_response());
    }
    let topic = sub.topic.clone();
    let parsed =
        tokio::task::spawn_blocking(move || courant_feed::parse(&body, Some(&topic))).await;
    let feed = match parsed {
        Ok(Ok(feed)) => feed,
        Ok(Err(e)) => {
            tracing::warn!(source = id, error = %e, "WebSub delivery is not a feed");
            return Ok(StatusCode::ACCEPTED.into_response());
        }
        Err(e) => return Err(WebError::BadRequest(format!("delivery: {e}"))),
    };
    let now = Utc::now();
    let new = read(&st, move |s| s.insert_entries(id, &feed.entries, now)).await?;
    tracing::info!(source = id, new, "WebSub delivery");
    Ok(StatusCode::ACCEPTED.into_response())
}

/// Checks `sha1=`, `sha256=` or `sha512=` HMAC signatures, in constant time.
pub(crate) fn signed(secret: &[u8], body: &[u8], signature: Option<&str>) -> bool {
    let Some((method, hex)) = signature.and_then(|s| s.trim().split_once('=')) else {
        return false;
    };
    let Some(expected) = unhex(hex) else {
        return false;
    };
    fn check<M: Mac + hmac::digest::KeyInit>(secret: &[u8], body: &[u8], expected: &[u8]) -> bool {
        match <M as hmac::digest::KeyInit>::new_from_slice(secret) {
            Ok(mut mac) => {
                mac.update(body);
                mac.verify_slice(expected).is_ok()
            }
            Err(_) => false,
        }
    }
    match method {
        "sha1" => check::<Hmac<sha1::Sha1>>(secret, body, &expected),
        "sha256" => check::<Hmac<sha2::Sha256>>(secret, body, &expected),
        "sha512" => check::<Hmac<sha2::Sha512>>(secret, body, &expected),
        _ => false,
    }
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

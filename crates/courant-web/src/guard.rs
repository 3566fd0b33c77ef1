//! What every response carries and every client is held to: security
//! headers, and a throttle on wrong tokens so a token cannot be guessed at
//! network speed.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppState;

/// No script at all, styles from the page itself (the theme is inlined),
/// images from anywhere (article bodies show the publisher's), never framed.
const CSP: &str = "default-src 'self'; script-src 'none'; style-src 'self' 'unsafe-inline'; \
img-src 'self' https: http: data:; media-src 'self' https:; object-src 'none'; \
base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Adds the security headers to every response that has none of its own.
pub(crate) async fn headers(req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "strict-origin-when-cross-origin"),
    ] {
        h.entry(name).or_insert(HeaderValue::from_static(value));
    }
    resp
}

/// How long failures are remembered, and how long an address waits once over.
const WINDOW: Duration = Duration::from_secs(60);
/// Addresses remembered at most; older entries go first when it fills.
const MAX_CLIENTS: usize = 10_000;

/// Failed token checks per client address.
#[derive(Default)]
pub(crate) struct Throttle {
    failures: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl Throttle {
    fn blocked(&self, ip: IpAddr, max: u32) -> bool {
        let Ok(map) = self.failures.lock() else {
            return false;
        };
        map.get(&ip)
            .is_some_and(|(since, n)| max > 0 && *n >= max && since.elapsed() < WINDOW)
    }

    fn failed(&self, ip: IpAddr, max: u32) {
        let Ok(mut map) = self.failures.lock() else {
            return;
        };
        if map.len() >= MAX_CLIENTS {
            map.retain(|_, (since, _)| since.elapsed() < WINDOW);
        }
        let e = map.entry(ip).or_insert((Instant::now(), 0));
        if e.0.elapsed() >= WINDOW {
            *e = (Instant::now(), 0);
        }
        e.1 += 1;
        if e.1 == max {
            tracing::warn!(%ip, "wrong tokens: writes from this address refused for a minute");
        }
    }
}

/// A client that sent `max_wrong_tokens` wrong tokens within a minute gets 429
/// for anything that needs a token (writes and `/metrics`) until the minute
/// is over; reading the site and the API stays open to it.
pub(crate) async fn throttle(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let ip = crate::server::client(req.extensions()).map(|a| a.ip());
    let needs_token = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        || req.uri().path() == "/metrics";
    let max = st.cfg.max_wrong_tokens;
    if ip.is_some_and(|ip| needs_token && st.throttle.blocked(ip, max)) {
        let mut resp = (
            StatusCode::TOO_MANY_REQUESTS,
            axum::Json(
                serde_json::json!({ "error": "too many wrong tokens; try again in a minute" }),
            ),
        )
            .into_response();
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
        return resp;
    }
    let resp = next.run(req).await;
    if resp.status() == StatusCode::UNAUTHORIZED {
        if let Some(ip) = ip {
            st.throttle.failed(ip, max);
        }
    }
    resp
}

/// Compares without leaking where the first difference is.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The bearer token of a request, or "".
pub(crate) fn bearer(headers: &axum::http::HeaderMap) -> &str {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .unwrap_or("")
}

//! HTTP at the edge: conditional GET, bounded bodies, bounded redirects,
//! charset detection and a guard against private addresses.
//!
//! Design decision: the address guard runs in two places, because reqwest only
//! consults a DNS resolver for host names. Literal IPs are checked on the
//! request URL and on every redirect hop; names are checked after resolution by
//! `guard::GuardedResolver`, so DNS rebinding to 127.0.0.1 is refused too.
//!
//! # What it does
//!
//! `Fetcher::get(url, validators) -> Outcome` over `reqwest`: conditional GET,
//! whole-request and connect timeouts, a body cap counted after decompression,
//! bounded redirects with loop detection, the address guard (`guard.rs`), and
//! per-host politeness (`polite.rs`: requests in flight and the interval
//! between them per host, Retry-After obeyed, shared by every fetch), and
//! robots.txt for article pages (`robots.rs`, `Fetcher::robots`).
//! `decode(bytes, content_type)` finds the charset (BOM, header, `<meta>`/XML
//! declaration, then `chardetng`); bytes that are valid UTF-8 and not plain
//! ASCII are read as UTF-8 whatever a header or `<meta>` claims (re-encoded
//! pages keep old declarations: People's Daily says GB2312 and sends UTF-8).
//! Errors classify themselves: `kind()`, `is_retriable()`.
//!
//! # Why reqwest, encoding_rs and chardetng
//!
//! `reqwest` 0.12 with rustls (ring) gives decompression, redirects with a
//! custom policy and a pluggable DNS resolver, which the address guard needs;
//! 0.13 defaults to aws-lc-rs, a heavier build for the same result.
//! `encoding_rs` and `chardetng` are the Firefox pair; the `<meta>` prescan is
//! 60 lines of own code because neither crate has one.
#![warn(missing_docs)]

mod charset;
mod guard;
mod polite;
mod robots;

#[cfg(test)]
mod tests;

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use reqwest::header::{self, HeaderMap, HeaderValue};

pub use charset::{decode, Decoded};
pub use guard::{is_public_ip, BlockedAddress};
pub use polite::HostPolicy;
pub use robots::{Verdict, AGENT};

/// Fetcher settings; every field bounds something.
#[derive(Debug, Clone)]
pub struct FetchConfig {
    /// Whole-request deadline, body included.
    pub timeout: Duration,
    /// TCP (and TLS) connect deadline.
    pub connect_timeout: Duration,
    /// Largest body accepted, counted after decompression.
    pub max_body_bytes: usize,
    /// Redirect hops followed before giving up.
    pub max_redirects: usize,
    /// Allow private, loopback and link-local targets (tests and the demo only).
    pub allow_private: bool,
    /// User-Agent header.
    pub user_agent: String,
    /// Requests in flight and time between them, for every host.
    pub host: HostPolicy,
    /// Hosts treated otherwise, by lowercase host name.
    pub hosts: std::collections::HashMap<String, HostPolicy>,
    /// Longest Retry-After obeyed; a longer one (a year, say) is cut to it.
    pub max_retry_after: Duration,
    /// Longest a fetch waits for its turn at a host before failing with
    /// [`Error::HostBusy`] (retriable).
    pub max_host_wait: Duration,
}

impl Default for FetchConfig {
    fn default() -> Self {
        FetchConfig {
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            max_body_bytes: 8 * 1024 * 1024,
            max_redirects: 5,
            allow_private: false,
            user_agent: concat!(
                "courant/",
                env!("CARGO_PKG_VERSION"),
                " (+self-hosted news engine)"
            )
            .to_string(),
            host: HostPolicy::default(),
            hosts: std::collections::HashMap::new(),
            max_retry_after: Duration::from_secs(3600),
            max_host_wait: Duration::from_secs(30),
        }
    }
}

/// Validators from an earlier response, for conditional GET.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    /// `ETag` of the earlier response.
    pub etag: Option<String>,
    /// `Last-Modified` of the earlier response.
    pub last_modified: Option<String>,
}

/// A successful response with its body read in full (within the cap).
#[derive(Debug, Clone)]
pub struct Response {
    /// URL after redirects.
    pub final_url: String,
    /// HTTP status (2xx).
    pub status: u16,
    /// `Content-Type` header.
    pub content_type: Option<String>,
    /// Validators to send next time.
    pub validators: Validators,
    /// Decompressed body.
    pub body: Bytes,
    /// How long the response may be reused: `Cache-Control: max-age`, else
    /// `Expires`, capped at a day. A feed's poll waits at least this long.
    pub fresh_for: Option<Duration>,
}

/// Result of a fetch that reached the server and was accepted.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// 304: the resource did not change since the validators were issued.
    NotModified,
    /// 2xx with a body.
    Fetched(Response),
}

/// Why a fetch failed. Each variant names one cause a source page can show.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The URL does not parse or has no host.
    #[error("invalid URL {0:?}")]
    InvalidUrl(String),
    /// Only http and https are fetched.
    #[error("unsupported URL scheme {0:?}")]
    UnsupportedScheme(String),
    /// The target is a private, loopback or link-local address and those are not allowed.
    #[error("{0}")]
    Blocked(#[from] BlockedAddress),
    /// The host name did not resolve.
    #[error("DNS lookup failed: {0}")]
    Dns(String),
    /// No connection could be made.
    #[error("connection failed: {0}")]
    Connect(String),
    /// The deadline passed.
    #[error("timed out")]
    Timeout,
    /// More redirect hops than allowed.
    #[error("too many redirects (more than {0})")]
    TooManyRedirects(usize),
    /// A redirect pointed back to a URL already visited.
    #[error("redirect loop at {0}")]
    RedirectLoop(String),
    /// The server answered with a non-success status.
    #[error("HTTP status {0}")]
    Status(u16),
    /// 429 or 503 with a Retry-After: the host is left alone that long.
    #[error("HTTP status {status}; the host asks to wait {after_secs} s")]
    Throttled {
        /// 429 or 503.
        status: u16,
        /// The wait asked for, capped.
        after_secs: u64,
    },
    /// The host's turn is further away than a fetch waits (its interval,
    /// requests in flight, or a Retry-After it sent).
    #[error("host busy: its next turn is {0} s away")]
    HostBusy(u64),
    /// The body (after decompression) exceeded the cap.
    #[error("body larger than {0} bytes")]
    TooLarge(usize),
    /// Any other transport failure.
    #[error("transport error: {0}")]
    Transport(String),
}

impl Error {
    /// Worth retrying later (with backoff) rather than a permanent fault.
    pub fn is_retriable(&self) -> bool {
        match self {
            Error::Dns(_)
            | Error::Connect(_)
            | Error::Timeout
            | Error::Transport(_)
            | Error::Throttled { .. }
            | Error::HostBusy(_) => true,
            Error::Status(s) => *s == 429 || *s >= 500,
            _ => false,
        }
    }

    /// Short stable label, for metrics and health pages.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::InvalidUrl(_) | Error::UnsupportedScheme(_) => "url",
            Error::Blocked(_) => "blocked",
            Error::Dns(_) => "dns",
            Error::Connect(_) => "connect",
            Error::Timeout => "timeout",
            Error::TooManyRedirects(_) | Error::RedirectLoop(_) => "redirect",
            Error::Status(_) | Error::Throttled { .. } => "status",
            Error::HostBusy(_) => "host_busy",
            Error::TooLarge(_) => "too_large",
            Error::Transport(_) => "transport",
        }
    }
}

/// An HTTP client with courant's bounds. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    cfg: FetchConfig,
    hosts: std::sync::Arc<polite::Hosts>,
    robots: std::sync::Arc<robots::Robots>,
}

/// Error raised inside the redirect policy, recovered from reqwest's error chain.
#[derive(Debug, thiserror::Error)]
enum RedirectError {
    #[error("too many redirects")]
    TooMany,
    #[error("redirect loop")]
    Loop(String),
    #[error("bad scheme")]
    Scheme(String),
}

/// `Cache-Control: max-age` (`no-store`, `no-cache` mean none), else
/// `Expires`, capped at a day; `None` when neither says anything usable.
fn fresh_for(headers: &HeaderMap) -> Option<Duration> {
    const DAY: Duration = Duration::from_secs(86_400);
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    if let Some(cc) = text(header::CACHE_CONTROL) {
        let mut max_age = None;
        for part in cc.split(',').map(|p| p.trim().to_ascii_lowercase()) {
            if part == "no-store" || part == "no-cache" {
                return None;
            }
            if let Some(v) = part.strip_prefix("max-age=") {
                max_age = v.trim_matches('"').parse::<u64>().ok();
            }
        }
        if let Some(secs) = max_age {
            return (secs > 0).then(|| Duration::from_secs(secs).min(DAY));
        }
    }
    let expires = httpdate::parse_http_date(text(header::EXPIRES)?).ok()?;
    let now = text(header::DATE)
        .and_then(|d| httpdate::parse_http_date(d).ok())
        .unwrap_or_else(std::time::SystemTime::now);
    expires.duration_since(now).ok().map(|d| d.min(DAY))
}

impl Fetcher {
    /// Builds the client. Fails only if the TLS backend cannot initialize.
    pub fn new(cfg: FetchConfig) -> Result<Self, Error> {
        let max = cfg.max_redirects;
        let allow_private = cfg.allow_private;
        let policy = reqwest::redirect::Policy::custom(move |attempt| {
            let url = attempt.url().clone();
            if !matches!(url.scheme(), "http" | "https") {
                return attempt.error(RedirectError::Scheme(url.scheme().to_string()));
            }
            if attempt.previous().contains(&url) {
                return attempt.error(RedirectError::Loop(url.to_string()));
            }
            if attempt.previous().len() > max {
                return attempt.error(RedirectError::TooMany);
            }
            if !allow_private {
                if let Err(b) = guard::check_url_literal(&url) {
                    return attempt.error(b);
                }
            }
            attempt.follow()
        });
        let mut builder = reqwest::Client::builder()
            .user_agent(cfg.user_agent.clone())
            .timeout(cfg.timeout)
            .connect_timeout(cfg.connect_timeout)
            .redirect(policy)
            .no_proxy()
            .gzip(true)
            .brotli(true)
            .deflate(true);
        if !cfg.allow_private {
            builder = builder.dns_resolver(std::sync::Arc::new(guard::GuardedResolver));
        }
        let client = builder
            .build()
            .map_err(|e| Error::Transport(e.to_string()))?;
        let hosts = std::sync::Arc::new(polite::Hosts::new(
            cfg.host,
            cfg.hosts.clone(),
            cfg.max_host_wait,
        ));
        Ok(Fetcher {
            client,
            cfg,
            hosts,
            robots: std::sync::Arc::default(),
        })
    }

    /// The settings this fetcher enforces.
    pub fn config(&self) -> &FetchConfig {
        &self.cfg
    }

    /// GETs `url`, sending the validators as `If-None-Match` / `If-Modified-Since`.
    pub async fn get(&self, url: &str, validators: &Validators) -> Result<Outcome, Error> {
        let start = std::time::Instant::now();
        let result = self.fetch(url, validators).await;
        // Counted through the `metrics` facade; a no-op unless the binary
        // installs a recorder (it does for /metrics).
        let outcome = match &result {
            Ok(Outcome::Fetched(_)) => "ok",
            Ok(Outcome::NotModified) => "not_modified",
            Err(e) => e.kind(),
        };
        metrics::counter!("courant_fetches_total", "outcome" => outcome).increment(1);
        metrics::histogram!("courant_fetch_seconds").record(start.elapsed().as_secs_f64());
        result
    }

    /// POSTs a form (a WebSub subscription request) under the same guards
    /// and per-host limits as a GET; returns the status, which must be 2xx.
    pub async fn post_form(&self, url: &str, form: &[(&str, &str)]) -> Result<u16, Error> {
        let (parsed, host) = self.admit(url)?;
        let _turn = self.turn(&host).await?;
        let body: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let resp = self
            .client
            .post(parsed)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(|e| self.map_err(e))?;
        let status = resp.status().as_u16();
        if !resp.status().is_success() {
            return Err(Error::Status(status));
        }
        Ok(status)
    }

    /// The URL parsed and its host, when the guards let a request go to it.
    fn admit(&self, url: &str) -> Result<(url::Url, String), Error> {
        let parsed = url::Url::parse(url).map_err(|_| Error::InvalidUrl(url.to_string()))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(Error::UnsupportedScheme(parsed.scheme().to_string()));
        }
        let Some(host) = parsed.host_str().map(str::to_ascii_lowercase) else {
            return Err(Error::InvalidUrl(url.to_string()));
        };
        if !self.cfg.allow_private {
            guard::check_url_literal(&parsed)?;
        }
        Ok((parsed, host))
    }

    /// The host's turn for one request, held until the response is read;
    /// `HostBusy` when it is further away than `max_host_wait`.
    async fn turn(&self, host: &str) -> Result<polite::Turn, Error> {
        self.hosts
            .enter(host)
            .await
            .map_err(|wait| Error::HostBusy(wait.as_secs().max(1)))
    }

    async fn fetch(&self, url: &str, validators: &Validators) -> Result<Outcome, Error> {
        let (parsed, host) = self.admit(url)?;
        // Held until the body is read: the host's requests in flight.
        let _turn = self.turn(&host).await?;
        let mut headers = HeaderMap::new();
        if let Some(v) = validators
            .etag
            .as_deref()
            .and_then(|v| HeaderValue::from_str(v).ok())
        {
            headers.insert(header::IF_NONE_MATCH, v);
        }
        if let Some(v) = validators
            .last_modified
            .as_deref()
            .and_then(|v| HeaderValue::from_str(v).ok())
        {
            headers.insert(header::IF_MODIFIED_SINCE, v);
        }
        let mut resp = self
            .client
            .get(parsed)
            .headers(headers)
            .send()
            .await
            .map_err(|e| self.map_err(e))?;
        let status = resp.status().as_u16();
        if status == 304 {
            return Ok(Outcome::NotModified);
        }
        if !resp.status().is_success() {
            if status == 429 || status == 503 {
                let wait = resp
                    .headers()
                    .get(header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| polite::retry_after(v, self.cfg.max_retry_after));
                if let Some(wait) = wait {
                    self.hosts.push_back(&host, wait);
                    return Err(Error::Throttled {
                        status,
                        after_secs: wait.as_secs(),
                    });
                }
            }
            return Err(Error::Status(status));
        }
        let limit = self.cfg.max_body_bytes;
        // Content-Length is the compressed size at most; refuse early when even that is over.
        if resp.content_length().is_some_and(|n| n > limit as u64) {
            return Err(Error::TooLarge(limit));
        }
        let header_str = |name: header::HeaderName| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let content_type = header_str(header::CONTENT_TYPE);
        let validators = Validators {
            etag: header_str(header::ETAG),
            last_modified: header_str(header::LAST_MODIFIED),
        };
        let fresh_for = fresh_for(resp.headers());
        let final_url = resp.url().to_string();
        let mut body = BytesMut::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| self.map_err(e))? {
            if body.len() + chunk.len() > limit {
                return Err(Error::TooLarge(limit));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Outcome::Fetched(Response {
            final_url,
            status,
            content_type,
            validators,
            body: body.freeze(),
            fresh_for,
        }))
    }

    fn map_err(&self, e: reqwest::Error) -> Error {
        // Our own errors travel inside reqwest's source chain.
        let mut src: Option<&(dyn std::error::Error + 'static)> = Some(&e);
        while let Some(s) = src {
            if let Some(b) = s.downcast_ref::<BlockedAddress>() {
                return Error::Blocked(b.clone());
            }
            if let Some(r) = s.downcast_ref::<RedirectError>() {
                return match r {
                    RedirectError::TooMany => Error::TooManyRedirects(self.cfg.max_redirects),
                    RedirectError::Loop(u) => Error::RedirectLoop(u.clone()),
                    RedirectError::Scheme(s) => Error::UnsupportedScheme(s.clone()),
                };
            }
            if let Some(io) = s.downcast_ref::<std::io::Error>() {
                if io.kind() == std::io::ErrorKind::TimedOut {
                    return Error::Timeout;
                }
            }
            src = s.source();
        }
        if e.is_timeout() {
            return Error::Timeout;
        }
        let chain = error_chain(&e);
        if e.is_connect() {
            if chain.contains("dns error") || chain.contains("failed to lookup") {
                return Error::Dns(chain);
            }
            return Error::Connect(chain);
        }
        if e.is_redirect() {
            return Error::TooManyRedirects(self.cfg.max_redirects);
        }
        Error::Transport(chain)
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        out.push_str(": ");
        out.push_str(&s.to_string());
        src = s.source();
    }
    out
}

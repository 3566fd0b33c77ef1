//! Prometheus metrics at `/metrics`: the counters and histograms the jobs and
//! the fetcher record through the `metrics` facade, request counts and
//! latencies of this server, and gauges read from the store at scrape time
//! (articles by status, queue depths, sources by health, stories).

use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::{read, AppState, WebError};

/// Counts each request and its latency by route pattern (not by URL, so the
/// number of series stays bounded) and status class.
pub(crate) async fn track(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let start = std::time::Instant::now();
    let resp = next.run(req).await;
    let class = match resp.status().as_u16() {
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    };
    metrics::counter!("courant_http_requests_total", "route" => route.clone(), "status" => class)
        .increment(1);
    metrics::histogram!("courant_http_request_seconds", "route" => route)
        .record(start.elapsed().as_secs_f64());
    resp
}

/// The text exposition format.
/// With `metrics_token` set, only a request bearing it is answered.
pub(crate) async fn metrics(
    State(st): State<AppState>,
    headers: axum::http::HeaderMap,
) -> Result<Response, WebError> {
    let Some(handle) = st.cfg.metrics.clone() else {
        return Err(WebError::NotFound("metrics are not enabled".into()));
    };
    if let Some(token) = st.cfg.metrics_token.as_deref().filter(|t| !t.is_empty()) {
        let given = crate::guard::bearer(&headers);
        if !crate::guard::constant_time_eq(given.as_bytes(), token.as_bytes()) {
            return Err(WebError::Unauthorized(
                "metrics need the bearer token from [api] metrics_token".into(),
            ));
        }
    }
    let (counts, sources, translations) = read(&st, |s| {
        Ok((s.counts()?, s.sources()?, s.translation_counts()?))
    })
    .await?;
    // Translations by target language and status: held ones are the operator's to read.
    for (lang, status, n) in translations {
        metrics::gauge!("courant_translations", "lang" => lang, "status" => status).set(n as f64);
    }
    for (status, n) in [
        ("pending", counts.pending),
        ("ready", counts.ready),
        ("failed", counts.failed),
        ("hidden", counts.hidden),
    ] {
        metrics::gauge!("courant_articles", "status" => status).set(n as f64);
    }
    metrics::gauge!("courant_queue_depth", "queue" => "process").set(counts.pending as f64);
    metrics::gauge!("courant_queue_depth", "queue" => "stories").set(counts.unclustered as f64);
    metrics::gauge!("courant_stories").set(counts.stories as f64);
    for status in ["new", "ok", "failing"] {
        let n = sources
            .iter()
            .filter(|s| s.health.status() == status)
            .count();
        metrics::gauge!("courant_sources", "status" => status).set(n as f64);
    }
    Ok((
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        handle.render(),
    )
        .into_response())
}

/// Installs the process-wide Prometheus recorder once and returns its handle
/// (`None`, with a warning, when another recorder is installed already).
pub fn install_recorder() -> Option<metrics_exporter_prometheus::PrometheusHandle> {
    static HANDLE: std::sync::OnceLock<Option<metrics_exporter_prometheus::PrometheusHandle>> =
        std::sync::OnceLock::new();
    HANDLE
        .get_or_init(|| {
            // Latency buckets in seconds, from 1 ms to 30 s.
            let buckets = [
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
            ];
            match metrics_exporter_prometheus::PrometheusBuilder::new()
                .set_buckets(&buckets)
                .and_then(|b| b.install_recorder())
            {
                Ok(h) => Some(h),
                Err(e) => {
                    tracing::warn!(error = %e, "metrics recorder not installed; /metrics is off");
                    None
                }
            }
        })
        .clone()
}

//! The shared layer under faults: a dead engine, a slow one, 429 with
//! Retry-After, a spent quota, garbage, a partial or empty answer, and the
//! daily budget.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

use super::backends::{provider, serve};
use super::shout;
use crate::{Error, Kind, Ledger, MemoryLedger, ProviderConfig};

/// A bad answer, built from the segments sent.
type Bad = fn(&[String]) -> Response;

/// A LibreTranslate whose first `fail` answers are `bad`, then good ones.
#[derive(Clone)]
struct Flaky {
    calls: Arc<AtomicUsize>,
    fail: usize,
    bad: Bad,
}

async fn flaky(State(f): State<Flaky>, Json(b): Json<Value>) -> Response {
    let n = f.calls.fetch_add(1, Ordering::SeqCst);
    let q: Vec<String> = serde_json::from_value(b["q"].clone()).unwrap_or_default();
    if n < f.fail {
        return (f.bad)(&q);
    }
    Json(json!({"translatedText": q.iter().map(|s| shout(s)).collect::<Vec<_>>()})).into_response()
}

async fn engine_for(fail: usize, bad: Bad) -> (ProviderConfig, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let st = Flaky {
        calls: calls.clone(),
        fail,
        bad,
    };
    let url = serve(
        Router::new()
            .route("/translate", post(flaky))
            .with_state(st),
    )
    .await;
    let mut p = provider(Kind::Libretranslate, &url);
    p.timeout_secs = 1;
    (p, calls)
}

fn segs() -> Vec<String> {
    vec!["One".into(), "Two".into()]
}

async fn run(p: &ProviderConfig, ledger: Arc<dyn Ledger>) -> Result<crate::Translated, Error> {
    let mut e = p.engine(ledger).expect("engine");
    e.set_backoff(Duration::from_millis(10));
    e.translate("en", "es", &segs()).await
}

#[tokio::test]
async fn passing_faults_are_retried_until_they_pass() {
    let cases: [(&str, Bad); 5] = [
        ("429 with Retry-After", |_| {
            (
                StatusCode::TOO_MANY_REQUESTS,
                [("retry-after", "0")],
                Json(json!({"error": "Slowdown"})),
            )
                .into_response()
        }),
        ("500", |_| {
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Json(json!({"error": "model crashed"})),
            )
                .into_response()
        }),
        ("garbage", |_| {
            (StatusCode::OK, "<html>proxy error</html>").into_response()
        }),
        ("part of the batch", |q| {
            Json(json!({"translatedText": [shout(&q[0])]})).into_response()
        }),
        ("an empty text", |q| {
            Json(json!({"translatedText": [shout(&q[0]), ""]})).into_response()
        }),
    ];
    for (name, bad) in cases {
        let (p, calls) = engine_for(2, bad).await;
        let t = run(&p, Arc::new(MemoryLedger::default()))
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(t.texts, vec!["ONE", "TWO"], "{name}");
        assert_eq!((calls.load(Ordering::SeqCst), t.requests), (3, 3), "{name}");
        // Every attempt counts what it sent.
        assert_eq!(t.chars_sent, 18, "{name}");
    }
    // Past the retries, the error is the last one, and nothing is returned.
    let (p, _) = engine_for(10, |_| {
        (
            StatusCode::TOO_MANY_REQUESTS,
            Json(json!({"error": "Slowdown"})),
        )
            .into_response()
    })
    .await;
    let err = run(&p, Arc::new(MemoryLedger::default()))
        .await
        .expect_err("still limited");
    assert!(matches!(err, Error::RateLimited { .. }), "{err}");
}

#[tokio::test]
async fn lasting_faults_fail_at_once() {
    let (p, calls) = engine_for(10, |_| {
        (
            StatusCode::from_u16(456).expect("456"),
            Json(json!({"message": "Quota exceeded"})),
        )
            .into_response()
    })
    .await;
    let err = run(&p, Arc::new(MemoryLedger::default()))
        .await
        .expect_err("quota");
    assert!(
        matches!(err, Error::Quota { .. }) && err.is_budget(),
        "{err}"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    // A Retry-After longer than the engine may wait fails now, not in an hour.
    let (p, calls) = engine_for(10, |_| {
        (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "3600")], "").into_response()
    })
    .await;
    let err = run(&p, Arc::new(MemoryLedger::default()))
        .await
        .expect_err("limited");
    assert!(
        matches!(err, Error::RateLimited { retry_after: Some(d), .. } if d.as_secs() == 3600),
        "{err}"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_dead_or_slow_engine_is_an_error_not_a_hang() {
    // Nothing listens on this port.
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let dead = format!("http://{}", l.local_addr().expect("addr"));
    drop(l);
    let mut p = provider(Kind::Apertium, &dead);
    p.retries = 1;
    let err = run(&p, Arc::new(MemoryLedger::default()))
        .await
        .expect_err("dead");
    assert!(matches!(err, Error::Unreachable { .. }), "{err}");

    async fn slow() -> &'static str {
        tokio::time::sleep(Duration::from_secs(30)).await;
        "{}"
    }
    let url = serve(Router::new().route("/translate", post(slow))).await;
    let mut p = provider(Kind::Apertium, &url);
    p.timeout_secs = 1;
    p.retries = 1;
    let start = std::time::Instant::now();
    let err = run(&p, Arc::new(MemoryLedger::default()))
        .await
        .expect_err("slow");
    assert!(matches!(err, Error::Timeout { .. }), "{err}");
    assert!(start.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn the_daily_budget_is_never_exceeded() {
    let (mut p, calls) = engine_for(0, |_| unreachable_response()).await;
    p.daily_chars = Some(20);
    let ledger = Arc::new(MemoryLedger::default());
    // 8 characters a time: two requests fit in 20, the third does not.
    for n in 0..4 {
        let segs = vec![format!("One {n}"), format!("Tw{n}")];
        let e = p.engine(ledger.clone()).expect("engine");
        let r = e.translate("en", "es", &segs).await;
        if n < 2 {
            assert!(r.is_ok(), "{n}");
        } else {
            let err = r.expect_err("over budget");
            assert!(
                matches!(err, Error::Budget { limit: 20, .. }) && err.is_budget(),
                "{err}"
            );
        }
    }
    let today = chrono::Utc::now().date_naive();
    assert_eq!(ledger.spent("p", today).expect("spent"), 16);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    // Another provider has its own budget.
    assert!(ledger.reserve("q", today, 20, Some(20)).expect("reserve"));
}

fn unreachable_response() -> Response {
    StatusCode::INTERNAL_SERVER_ERROR.into_response()
}

//! Each backend against a server that checks the documented request format
//! and answers in the documented shape; then a whole document through one.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::Form;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

use super::shout;
use crate::protect::Terms;
use crate::{document, Kind, MemoryLedger, ProviderConfig};

/// Serves `app` on a free loopback port; returns its base URL.
pub(crate) async fn serve(app: Router) -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = l.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(l, app).await });
    format!("http://{addr}")
}

async fn apy(Form(f): Form<HashMap<String, String>>) -> (StatusCode, Json<Value>) {
    if f.get("langpair").map(String::as_str) != Some("en|es") {
        return (
            StatusCode::BAD_REQUEST,
            Json(
                json!({"status": "error", "code": 400, "message": "Bad Request", "explanation": "That pair is not installed"}),
            ),
        );
    }
    assert_eq!(f.get("format").map(String::as_str), Some("html"));
    assert_eq!(f.get("markUnknown").map(String::as_str), Some("no"));
    let q = f.get("q").cloned().unwrap_or_default();
    (
        StatusCode::OK,
        Json(
            json!({"responseData": {"translatedText": shout(&q)}, "responseDetails": null, "responseStatus": 200}),
        ),
    )
}

async fn libre(Json(b): Json<Value>) -> (StatusCode, Json<Value>) {
    assert_eq!(b["format"], "html");
    if b["api_key"] != "k" {
        return (
            StatusCode::FORBIDDEN,
            Json(json!({"error": "Invalid API key"})),
        );
    }
    let q: Vec<String> = serde_json::from_value(b["q"].clone()).expect("q array");
    (
        StatusCode::OK,
        Json(json!({"translatedText": q.iter().map(|s| shout(s)).collect::<Vec<_>>()})),
    )
}

async fn deepl(h: HeaderMap, Json(b): Json<Value>) -> (StatusCode, Json<Value>) {
    if h.get("authorization").and_then(|v| v.to_str().ok()) != Some("DeepL-Auth-Key k") {
        return (
            StatusCode::FORBIDDEN,
            Json(json!({"message": "Wrong endpoint or key"})),
        );
    }
    assert_eq!(b["tag_handling"], "html");
    assert_eq!(b["target_lang"], "ES");
    assert_eq!(b["source_lang"], "EN");
    let text: Vec<String> = serde_json::from_value(b["text"].clone()).expect("text array");
    let t: Vec<Value> = text
        .iter()
        .map(|s| json!({"detected_source_language": "EN", "text": shout(s)}))
        .collect();
    (StatusCode::OK, Json(json!({"translations": t})))
}

async fn chat(h: HeaderMap, Json(b): Json<Value>) -> (StatusCode, Json<Value>) {
    if h.get("authorization").and_then(|v| v.to_str().ok()) != Some("Bearer k") {
        return (
            StatusCode::UNAUTHORIZED,
            Json(
                json!({"error": {"message": "Incorrect API key", "type": "invalid_request_error"}}),
            ),
        );
    }
    assert_eq!(b["temperature"], 0);
    assert_eq!(b["messages"][0]["role"], "system");
    let user = b["messages"][1]["content"]
        .as_str()
        .expect("user message")
        .to_string();
    (
        StatusCode::OK,
        Json(
            json!({"choices": [{"index": 0, "message": {"role": "assistant", "content": shout(&user)}, "finish_reason": "stop"}]}),
        ),
    )
}

pub(crate) fn provider(kind: Kind, url: &str) -> ProviderConfig {
    let mut p = ProviderConfig::new("p", kind, url);
    p.api_key = Some("k".into());
    p.model = Some("m".into());
    p.requests_per_second = 0.0;
    p
}

#[tokio::test]
async fn every_backend_speaks_its_documented_format() {
    let app = Router::new()
        .route("/translate", post(apy))
        .route("/lt/translate", post(libre))
        .route("/v2/translate", post(deepl))
        .route("/v1/chat/completions", post(chat));
    let url = serve(app).await;
    let segs = vec![
        "The <b>prime</b> minister".to_string(),
        "Ten dead".to_string(),
    ];
    for (kind, base) in [
        (Kind::Apertium, url.clone()),
        (Kind::Libretranslate, format!("{url}/lt")),
        (Kind::Deepl, url.clone()),
        (Kind::Openai, url.clone()),
    ] {
        let e = provider(kind, &base)
            .engine(Arc::new(MemoryLedger::default()))
            .expect("engine");
        let t = e.translate("en", "es", &segs).await.expect("translated");
        assert_eq!(
            t.texts,
            vec!["THE <b>PRIME</b> MINISTER", "TEN DEAD"],
            "{kind:?}"
        );
        assert_eq!(t.chars_sent, 33, "{kind:?}");
    }
    // Refusals carry the engine's own message and are not retried.
    let mut bad = provider(Kind::Libretranslate, &format!("{url}/lt"));
    bad.api_key = Some("wrong".into());
    let err = bad
        .engine(Arc::new(MemoryLedger::default()))
        .expect("engine")
        .translate("en", "es", &segs)
        .await
        .expect_err("refused");
    assert!(
        matches!(err, crate::Error::Rejected { status: 403, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("Invalid API key"), "{err}");
    let mut bad = provider(Kind::Openai, &url);
    bad.api_key = Some("wrong".into());
    let err = bad
        .engine(Arc::new(MemoryLedger::default()))
        .expect("engine")
        .translate("en", "es", &segs)
        .await
        .expect_err("refused");
    assert!(err.to_string().contains("Incorrect API key"), "{err}");
    // A pair APy lacks is refused, not retried.
    let e = provider(Kind::Apertium, &url)
        .engine(Arc::new(MemoryLedger::default()))
        .expect("engine");
    let err = e.translate("en", "xx", &segs).await.expect_err("no pair");
    assert!(
        matches!(err, crate::Error::Rejected { status: 400, .. }),
        "{err}"
    );
}

#[tokio::test]
async fn a_document_keeps_links_lists_and_headings() {
    let url = serve(Router::new().route("/translate", post(apy))).await;
    let ledger = Arc::new(MemoryLedger::default());
    let e = provider(Kind::Apertium, &url)
        .engine(ledger.clone())
        .expect("engine");
    let html = "<h2>Floods</h2><p>Rain hit <a href=\"https://x.org/it\">northern Italy</a>, said Kristersson.</p><ul><li>Ten <em>dead</em></li><li>Roads closed</li></ul>";
    let terms = Terms::new(&["Kristersson".into()], &[]);
    let d = document::translate(&e, "en", "es", "Floods & rain", html, &terms)
        .await
        .expect("translated");
    assert_eq!(d.title(|h| h.to_string()), "FLOODS & RAIN");
    assert_eq!(d.html, "<h2>FLOODS</h2><p>RAIN HIT <a href=\"https://x.org/it\">NORTHERN ITALY</a>, SAID Kristersson.</p><ul><li>TEN <em>DEAD</em></li><li>ROADS CLOSED</li></ul>");
    assert!(d.problems.is_empty());
    // The same article again costs nothing: every segment is in the memory.
    let again = document::translate(&e, "en", "es", "Floods & rain", html, &terms)
        .await
        .expect("translated");
    assert_eq!(again.html, d.html);
    assert_eq!((again.cost.chars_sent, again.cost.memory_hits), (0, 5));
    // An edit costs only the changed segment.
    let edited = html.replace("Roads closed", "Roads open");
    let e2 = document::translate(&e, "en", "es", "Floods & rain", &edited, &terms)
        .await
        .expect("translated");
    assert_eq!((e2.cost.chars_sent, e2.cost.memory_hits), (10, 4));
}

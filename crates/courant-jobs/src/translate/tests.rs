//! The translation job against an engine that follows LibreTranslate's
//! format, with renderings from `testdata/translate/es.json`, and one that
//! misbehaves in each way an engine can.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use chrono::Utc;
use courant_model::{ArticleStatus, TranslationStatus};
use courant_translate::{Kind, ProviderConfig};
use serde_json::{json, Value};

use super::{pass, Target, Translate};
use crate::tests::{context, ready_articles};
use crate::Context;

/// How the engine answers.
const GOOD: usize = 0;
const NUMBERS: usize = 1;
const HOSTILE: usize = 2;
const ECHO: usize = 3;

#[derive(Clone)]
struct Engine {
    mode: Arc<AtomicUsize>,
    calls: Arc<AtomicUsize>,
    book: Arc<HashMap<String, String>>,
}

async fn libre(State(e): State<Engine>, Json(b): Json<Value>) -> Json<Value> {
    e.calls.fetch_add(1, Ordering::SeqCst);
    let q: Vec<String> = serde_json::from_value(b["q"].clone()).unwrap_or_default();
    let out: Vec<String> = q
        .iter()
        .map(|s| {
            let t = e.book.get(s).cloned().unwrap_or_else(|| s.clone());
            match e.mode.load(Ordering::SeqCst) {
                NUMBERS => t.replace("12", "21"),
                HOSTILE => format!("{t}<script>alert(1)</script><img src=x onerror=alert(2)>"),
                ECHO => s.clone(),
                _ => t,
            }
        })
        .collect();
    Json(json!({ "translatedText": out }))
}

async fn engine() -> (String, Engine) {
    let book: HashMap<String, String> =
        serde_json::from_str(include_str!("../../testdata/translate/es.json")).expect("fixture");
    let e = Engine {
        mode: Arc::new(AtomicUsize::new(GOOD)),
        calls: Arc::new(AtomicUsize::new(0)),
        book: Arc::new(book),
    };
    let app = Router::new()
        .route("/translate", post(libre))
        .with_state(e.clone());
    let l = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", l.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(l, app).await });
    (url, e)
}

const HARBOUR: &str = "Heavy rain flooded the harbour of Valparaíso on Sunday, and 12 boats sank.\n\nThe port authority said 300 workers were sent home.";
const LIBRARY: &str = "A new public library opened in Tartu on Monday with 40,000 books.\n\nThe mayor said it cost 9 million euros.";

/// Two outlets with one text (a copy), a third with another story; placed in stories.
async fn newsroom(ctx: &mut Context, url: &str, daily_chars: Option<u64>) -> Vec<i64> {
    let ids = ready_articles(
        ctx.store.as_ref(),
        &[
            (
                "https://a.example/feed",
                "1",
                "Storm floods the harbour of Valparaíso",
                HARBOUR,
                0,
            ),
            (
                "https://b.example/feed",
                "1",
                "Storm floods the harbour of Valparaíso",
                HARBOUR,
                0,
            ),
            (
                "https://c.example/feed",
                "1",
                "Library opens in Tartu",
                LIBRARY,
                1,
            ),
        ],
    );
    let worker = Arc::new(std::sync::Mutex::new(crate::stories::StoryWorker::new(
        Duration::from_secs(30),
    )));
    crate::stories::cluster_pending(&worker, &ctx.store)
        .await
        .expect("stories");
    let mut p = ProviderConfig::new("lt", Kind::Libretranslate, url);
    p.retries = 0;
    p.requests_per_second = 0.0;
    p.daily_chars = daily_chars;
    let target = Target {
        lang: "es".into(),
        from: vec!["en".into()],
        top_stories: 10,
        sources: Vec::new(),
        provider: None,
        glossary: Default::default(),
    };
    let tr = Translate::new(&[p], vec![target], Vec::new(), ctx.store.clone()).expect("engines");
    ctx.translate = Some(Arc::new(tr));
    ids
}

fn status(ctx: &Context, id: i64) -> Option<TranslationStatus> {
    ctx.store
        .translation(id, "es")
        .expect("read")
        .map(|t| t.status)
}

#[tokio::test]
async fn each_story_is_translated_once_from_its_original() {
    let (url, engine) = engine().await;
    let dir = tempfile::tempdir().expect("dir");
    let mut ctx = context(&dir, true);
    let ids = newsroom(&mut ctx, &url, None).await;
    let before: Vec<_> = ids
        .iter()
        .map(|id| ctx.store.article(*id).expect("read"))
        .collect();
    let tr = ctx.translate.clone().expect("configured");
    let r = pass(&ctx, &tr, Utc::now()).await.expect("pass");
    assert_eq!((r.published, r.held, r.failed), (2, 0, 0), "{r:?}");
    assert_eq!(status(&ctx, ids[0]), Some(TranslationStatus::Published));
    assert_eq!(
        status(&ctx, ids[1]),
        None,
        "the copy is not translated again"
    );
    let t = ctx
        .store
        .translation(ids[2], "es")
        .expect("read")
        .expect("there");
    assert_eq!(t.title, "Abre una biblioteca en Tartu");
    assert_eq!(t.html, "<p>Una nueva biblioteca pública abrió en Tartu el lunes con 40.000 libros.</p><p>El alcalde dijo que la obra costó 9 millones de euros.</p>");
    assert_eq!(
        (t.label.as_str(), t.from.as_str()),
        ("LibreTranslate", "en")
    );
    // The originals are never written.
    let after: Vec<_> = ids
        .iter()
        .map(|id| ctx.store.article(*id).expect("read"))
        .collect();
    assert_eq!(before, after);
    // A second pass finds nothing to do and sends nothing.
    let calls = engine.calls.load(Ordering::SeqCst);
    let r = pass(&ctx, &tr, Utc::now()).await.expect("pass");
    assert_eq!((r.published, r.held, r.failed), (0, 0, 0));
    assert_eq!(engine.calls.load(Ordering::SeqCst), calls);
}

#[tokio::test]
async fn the_gate_holds_back_what_an_engine_broke() {
    for (mode, reason) in [(NUMBERS, "number_mismatch"), (ECHO, "untranslated")] {
        let (url, engine) = engine().await;
        engine.mode.store(mode, Ordering::SeqCst);
        let dir = tempfile::tempdir().expect("dir");
        let mut ctx = context(&dir, true);
        let ids = newsroom(&mut ctx, &url, None).await;
        let tr = ctx.translate.clone().expect("configured");
        pass(&ctx, &tr, Utc::now()).await.expect("pass");
        let t = ctx
            .store
            .translation(ids[0], "es")
            .expect("read")
            .expect("there");
        assert_eq!(t.status, TranslationStatus::Held, "{reason}");
        assert!(
            t.reasons.iter().any(|r| r.starts_with(reason)),
            "{reason}: {:?}",
            t.reasons
        );
        assert_eq!(
            ctx.store
                .article(ids[0])
                .expect("read")
                .expect("there")
                .status,
            ArticleStatus::Ready
        );
    }
}

#[tokio::test]
async fn a_hostile_translation_is_sanitized() {
    let (url, engine) = engine().await;
    engine.mode.store(HOSTILE, Ordering::SeqCst);
    let dir = tempfile::tempdir().expect("dir");
    let mut ctx = context(&dir, true);
    let ids = newsroom(&mut ctx, &url, None).await;
    let tr = ctx.translate.clone().expect("configured");
    pass(&ctx, &tr, Utc::now()).await.expect("pass");
    let t = ctx
        .store
        .translation(ids[2], "es")
        .expect("read")
        .expect("there");
    for bad in ["<script", "onerror", "alert(1)"] {
        assert!(
            !t.html.contains(bad) && !t.title.contains(bad),
            "{bad} in {t:?}"
        );
    }
    assert!(t.html.contains("Tartu"));
}

#[tokio::test]
async fn a_dead_engine_loses_nothing_and_is_retried_later() {
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        format!("http://{}", l.local_addr().expect("addr"))
    };
    let dir = tempfile::tempdir().expect("dir");
    let mut ctx = context(&dir, true);
    let ids = newsroom(&mut ctx, &dead, None).await;
    let tr = ctx.translate.clone().expect("configured");
    let now = Utc::now();
    let r = pass(&ctx, &tr, now)
        .await
        .expect("a dead engine does not fail the job");
    assert_eq!((r.published, r.failed), (0, 2));
    let t = ctx
        .store
        .translation(ids[0], "es")
        .expect("read")
        .expect("there");
    assert_eq!(t.status, TranslationStatus::Failed);
    assert!(
        t.error
            .as_deref()
            .is_some_and(|e| e.contains("unreachable")),
        "{:?}",
        t.error
    );
    assert!(t.next_attempt.is_some_and(|n| n > now));
    assert!(t.html.is_empty(), "nothing half-translated is kept");
    assert_eq!(
        ctx.store
            .article(ids[0])
            .expect("read")
            .expect("there")
            .status,
        ArticleStatus::Ready
    );
    // Not before its time; then again, and it passes once the engine is back.
    assert_eq!(pass(&ctx, &tr, now).await.expect("pass").failed, 0);
    let (url, _) = engine().await;
    let dir2 = tempfile::tempdir().expect("dir");
    let mut ctx2 = context(&dir2, true);
    newsroom(&mut ctx2, &url, None).await;
    // Same store, a healthy engine: the retry after the backoff publishes.
    let healthy = ctx2.translate.clone().expect("configured");
    ctx2.store = ctx.store.clone();
    let r = pass(&ctx2, &healthy, now + chrono::Duration::hours(1))
        .await
        .expect("pass");
    assert_eq!(r.published, 2, "{r:?}");
    assert_eq!(
        ctx.store
            .translation(ids[0], "es")
            .expect("read")
            .expect("there")
            .attempts,
        2
    );
}

#[tokio::test]
async fn the_budget_stops_sending_until_tomorrow() {
    let (url, engine) = engine().await;
    let dir = tempfile::tempdir().expect("dir");
    let mut ctx = context(&dir, true);
    // Enough for one article (about 170 characters), not for two.
    let ids = newsroom(&mut ctx, &url, Some(200)).await;
    let tr = ctx.translate.clone().expect("configured");
    let now = Utc::now();
    let r = pass(&ctx, &tr, now).await.expect("pass");
    assert_eq!((r.published, r.failed), (1, 1), "{r:?}");
    let failed = [ids[0], ids[2]]
        .iter()
        .filter_map(|id| ctx.store.translation(*id, "es").expect("read"))
        .find(|t| t.status == TranslationStatus::Failed)
        .expect("one waits");
    assert!(
        failed
            .error
            .as_deref()
            .is_some_and(|e| e.contains("budget")),
        "{:?}",
        failed.error
    );
    let tomorrow = (now + chrono::Duration::days(1)).date_naive();
    assert_eq!(failed.next_attempt.map(|n| n.date_naive()), Some(tomorrow));
    let today = now.date_naive().to_string();
    assert!(ctx.store.chars_spent("lt", &today).expect("spent") <= 200);
    assert!(engine.calls.load(Ordering::SeqCst) >= 1);
}

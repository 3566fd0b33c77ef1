//! Translated articles as readers and operators see them.

use std::sync::Arc;

use axum::http::StatusCode;
use chrono::Utc;
use courant_model::{FeedEntry, NewSource, ProcessedArticle, Translation, TranslationStatus};
use courant_store::{ArticleOutcome, SqliteStore, Store};

use super::get;
use crate::{router, WebConfig};

fn translation(article: i64, lang: &str, status: TranslationStatus) -> Translation {
    Translation {
        article,
        source_id: 0,
        published: None,
        lang: lang.into(),
        from: "en".into(),
        provider: "apy".into(),
        label: "Apertium".into(),
        status,
        title: format!("Título en {lang}"),
        html: "<p>Cuerpo con <a href=\"https://ex.org/x\" rel=\"nofollow noopener noreferrer\">enlace</a></p>".into(),
        text: "Cuerpo con enlace".into(),
        engine_text: "Cuerpo con enlace".into(),
        reasons: if status == TranslationStatus::Held { vec!["number_mismatch: 5 of the source is not in the translation".into()] } else { Vec::new() },
        findings: Vec::new(),
        error: None,
        attempts: 1,
        next_attempt: None,
        updated_at: Utc::now(),
    }
}

fn site() -> (tempfile::TempDir, axum::Router, i64) {
    let dir = tempfile::tempdir().expect("dir");
    let store = SqliteStore::open(dir.path().join("c.db")).expect("open");
    let src = store
        .add_source(&NewSource {
            feed_url: "https://ex.org/feed".into(),
            name: "Ex".into(),
            lang: Some("en".into()),
            attribution: None,
        })
        .expect("source");
    let entry = FeedEntry {
        guid: "g".into(),
        url: Some("https://ex.org/1".into()),
        title: "Floods in the north".into(),
        published: Some(Utc::now()),
        ..FeedEntry::default()
    };
    store
        .insert_entries(src.id, &[entry], Utc::now())
        .expect("insert");
    let a = store
        .claim_pending(Utc::now(), 60, 1)
        .expect("claim")
        .remove(0);
    let p = ProcessedArticle {
        title: "Floods in the north".into(),
        text: "Body with link".into(),
        html: "<p>Body with <a href=\"https://ex.org/x\">link</a></p>".into(),
        lang: Some("en".into()),
        body_origin: "page".into(),
        ..ProcessedArticle::default()
    };
    store
        .finish_article(a.id, &ArticleOutcome::Ready(Box::new(p)))
        .expect("ready");
    store
        .put_translation(&translation(a.id, "es", TranslationStatus::Published))
        .expect("put");
    store
        .put_translation(&translation(a.id, "ca", TranslationStatus::Held))
        .expect("put");
    let app = router(Arc::new(store), WebConfig::default());
    (dir, app, a.id)
}

#[tokio::test]
async fn a_published_translation_is_labelled_and_linked_to_its_original() {
    let (_d, app, id) = site();
    let (status, html) = get(&app, &format!("/es/articles/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    for want in [
        "<html lang=\"es\">",
        "<article class=\"full translated\" lang=\"es\">",
        "Traducción automática por Apertium del original (en)",
        &format!("<link rel=\"alternate\" hreflang=\"en\" href=\"/articles/{id}\">"),
        &format!("href=\"/articles/{id}\" hreflang=\"en\" lang=\"en\""),
        "<h1>Título en es</h1>",
        "Cuerpo con <a href=\"https://ex.org/x\"",
        // The original travels with it, untouched.
        "<details class=\"original\" lang=\"en\">",
        "Body with <a href=\"https://ex.org/x\"",
    ] {
        assert!(html.contains(want), "missing {want:?} in {html}");
    }
    // The original's page names its translation and declares it as an alternate.
    let (_, page) = get(&app, &format!("/articles/{id}")).await;
    assert!(
        page.contains(&format!(
            "<link rel=\"alternate\" hreflang=\"es\" href=\"/es/articles/{id}\">"
        )),
        "{page}"
    );
    assert!(page.contains("Título en es</a> (Apertium)"), "{page}");
    assert!(
        !page.contains("Título en ca"),
        "a held translation is never shown: {page}"
    );
    // The front page leads to the translated edition, and the edition lists it.
    let (_, home) = get(&app, "/").await;
    assert!(home.contains("href=\"/es/\" lang=\"es\""), "{home}");
    assert!(
        !home.contains("href=\"/ca/\""),
        "an edition of held translations only is not offered: {home}"
    );
    let (_, edition) = get(&app, "/es/").await;
    assert!(
        edition.contains(&format!("href=\"/es/articles/{id}\">Título en es</a>")),
        "{edition}"
    );
}

#[tokio::test]
async fn held_translations_reach_operators_not_readers() {
    let (_d, app, id) = site();
    let (status, _) = get(&app, &format!("/ca/articles/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, edition) = get(&app, "/ca/").await;
    assert!(!edition.contains("Título en ca"));
    // The article in its own language is the article itself.
    let (status, _) = get(&app, &format!("/en/articles/{id}")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, json) = get(&app, &format!("/api/v1/articles/{id}/translations")).await;
    assert_eq!(status, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&json).expect("json");
    let held = v
        .as_array()
        .expect("list")
        .iter()
        .find(|t| t["lang"] == "ca")
        .expect("ca");
    assert_eq!(held["status"], "held");
    assert!(held["reasons"][0]
        .as_str()
        .expect("reason")
        .starts_with("number_mismatch"));
    assert_eq!(
        (
            status,
            get(&app, "/api/v1/articles/999/translations").await.0
        ),
        (StatusCode::OK, StatusCode::NOT_FOUND)
    );
}

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::Utc;
use courant_model::{FeedEntry, NewSource, ProcessedArticle};
use courant_store::{ArticleOutcome, SqliteStore, Store};
use http_body_util::BodyExt;
use tower::ServiceExt;

use super::*;

mod hardening;
mod search;
mod translations;
mod websub;

const XSS_TITLE: &str = "<script>alert('t')</script><img src=x onerror=alert(1)>Title";

struct Site {
    _dir: tempfile::TempDir,
    app: Router,
    article_id: i64,
    source_id: i64,
}

fn site() -> Site {
    site_with(WebConfig::default())
}

fn site_with(cfg: WebConfig) -> Site {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("c.db")).unwrap();
    let src = store
        .add_source(&NewSource {
            feed_url: "https://ex.org/feed".into(),
            name: "Example <b>News</b>".into(),
            lang: Some("en".into()),
            attribution: Some("CC BY 2.5 <script>x</script>".into()),
        })
        .unwrap();
    let entries: Vec<FeedEntry> = (0..3)
        .map(|i| FeedEntry {
            guid: format!("g{i}"),
            url: Some(if i == 0 {
                "javascript:alert(1)".into()
            } else {
                format!("https://ex.org/{i}")
            }),
            title: if i == 0 {
                XSS_TITLE.into()
            } else {
                format!("Story {i}")
            },
            published: Some(Utc::now()),
            ..FeedEntry::default()
        })
        .collect();
    store.insert_entries(src.id, &entries, Utc::now()).unwrap();
    let claimed = store.claim_pending(Utc::now(), 60, 10).unwrap();
    let mut article_id = 0;
    for a in &claimed {
        let lang = if a.guid == "g2" { "de" } else { "en" };
        store
            .finish_article(
                a.id,
                &ArticleOutcome::Ready(Box::new(ProcessedArticle {
                    title: a.entry.title.clone(),
                    text: "Body text".into(),
                    original_text: "Body  text <script>x</script>".into(),
                    findings: vec![courant_model::TextFinding {
                        kind: "stray_space".into(),
                        start: 4,
                        end: 6,
                        span: "  ".into(),
                        confidence: 0.9,
                        repair: Some(" ".into()),
                        applied: true,
                    }],
                    // Stored HTML is sanitized by the pipeline; this is what it stores.
                    html: "<p>Body <a href=\"https://ex.org/x\" rel=\"nofollow noopener noreferrer\">link</a></p>".into(),
                    author: Some("<i>Ann</i>".into()),
                    lang: Some(lang.into()),
                    body_origin: "page".into(),
                    ..ProcessedArticle::default()
                })),
            )
            .unwrap();
        if a.guid == "g0" {
            article_id = a.id;
        }
    }
    if let Some(index) = &cfg.search {
        index_ready(&store, index);
    }
    let app = router(Arc::new(store), cfg);
    Site {
        _dir: dir,
        app,
        article_id,
        source_id: src.id,
    }
}

/// Indexes every ready article of `store` and commits: what the search job
/// does, without placing articles in stories first.
fn index_ready(store: &dyn Store, index: &courant_search::SearchIndex) -> Vec<i64> {
    let ready = store
        .articles(&courant_store::ArticleQuery {
            limit: 100,
            ..Default::default()
        })
        .unwrap();
    let docs: Vec<_> = ready
        .iter()
        .map(courant_search::Doc::from_article)
        .collect();
    index.add(&docs).unwrap();
    index
        .commit(&courant_search::IndexState {
            version: courant_search::SCHEMA_VERSION,
            store: store.instance_id().unwrap(),
            seq: 0,
        })
        .unwrap();
    docs.iter().map(|d| d.id).collect()
}

async fn get(app: &Router, uri: &str) -> (StatusCode, String) {
    let resp = app
        .clone()
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

fn assert_no_active_content(page: &str) {
    // The template's own markup has no script; every payload must arrive escaped.
    assert!(!page.contains("<script"), "{page}");
    assert!(!page.contains("<img src=x"), "{page}");
    assert!(!page.contains("href=\"javascript:"), "{page}");
    assert!(!page.contains("<b>News</b>"), "{page}");
    assert!(!page.contains("<i>Ann</i>"), "{page}");
}

#[tokio::test]
async fn pages_render_and_escape() {
    let s = site();
    for uri in [
        "/".to_string(),
        "/?lang=en".into(),
        "/latest".into(),
        "/sources".into(),
        format!("/sources/{}", s.source_id),
        format!("/articles/{}", s.article_id),
        format!("/articles/{}/original", s.article_id),
    ] {
        let (status, page) = get(&s.app, &uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        assert_no_active_content(&page);
    }
    let (_, home) = get(&s.app, "/").await;
    assert!(home.contains("Story 1") && home.contains("Story 2"));
    assert!(home.contains("&lt;script&gt;"), "titles are shown escaped");
    // Grouped by source and language: the German article is its own group.
    assert!(home.contains("?lang=de"));
    let (_, de) = get(&s.app, "/?lang=de").await;
    assert!(de.contains("Story 2") && !de.contains("Story 1"));
    let (_, art) = get(&s.app, &format!("/articles/{}", s.article_id)).await;
    assert!(
        art.contains(r#"<a href="https://ex.org/x" rel="nofollow noopener noreferrer">link</a>"#)
    );
    assert!(art.contains("CC BY 2.5 &lt;script&gt;"));
    assert!(
        art.contains("Translation: none: the text is in its original language"),
        "{art}"
    );
    assert!(art.contains("Quality: 1 findings by the text checker, 1 repaired"));
}

#[tokio::test]
async fn not_found_and_bad_requests() {
    let s = site();
    assert_eq!(
        get(&s.app, "/articles/999999").await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&s.app, "/sources/999999").await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(get(&s.app, "/nope").await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        get(&s.app, "/articles/abc").await.0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        get(&s.app, "/?lang=%3Cscript%3E").await.0,
        StatusCode::BAD_REQUEST
    );
    let (status, body) = get(&s.app, "/api/v1/articles/999999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body).unwrap()["error"],
        "no article 999999"
    );
}

#[tokio::test]
async fn api_lists_and_details() {
    let s = site();
    let (status, body) = get(&s.app, "/api/v1/articles?lang=en&limit=10").await;
    assert_eq!(status, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["articles"].as_array().unwrap().len(), 2);
    let (_, body) = get(&s.app, &format!("/api/v1/articles/{}", s.article_id)).await;
    let a: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(a["text"], "Body text");
    assert_eq!(a["original_text"], "Body  text <script>x</script>");
    assert_eq!(a["findings"][0]["kind"], "stray_space");
    assert_eq!(a["status"], "ready");
    assert_eq!(
        a["source_name"], "Example <b>News</b>",
        "JSON carries the raw name; clients escape"
    );
    let (_, body) = get(&s.app, "/api/v1/sources").await;
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v[0]["article_count"], 3);
    assert_eq!(v[0]["status"], "new");
    let (_, body) = get(&s.app, "/api/v1/stats").await;
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["ready"], 3);
}

#[tokio::test]
async fn operator_templates_override_builtins() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("sources.html"),
        "{% extends \"base.html\" %}{% block main %}CUSTOM {{ sources|length }}{% endblock %}",
    )
    .unwrap();
    let store = SqliteStore::open(dir.path().join("c.db")).unwrap();
    let app = router(
        Arc::new(store),
        WebConfig {
            site_title: "Le Courant".into(),
            site_lang: "fr".into(),
            templates_dir: Some(dir.path().to_path_buf()),
            base_url: None,
            api_token: None,
            metrics: None,
            metrics_token: None,
            max_wrong_tokens: 5,
            search: None,
        },
    );
    let (_, page) = get(&app, "/sources").await;
    assert!(page.contains("CUSTOM 0"));
    assert!(page.contains("<html lang=\"fr\">") && page.contains("Le Courant"));
}

#[tokio::test]
async fn original_view_marks_findings() {
    let s = site();
    let (status, page) = get(&s.app, &format!("/articles/{}/original", s.article_id)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains(r#"<mark class="finding stray_space""#),
        "{page}"
    );
    assert!(page.contains("&lt;script&gt;x&lt;/script&gt;"));
    let (_, art) = get(&s.app, &format!("/articles/{}", s.article_id)).await;
    assert!(art.contains("1 findings"));
}

/// Three outlets: `a` and `b` carry one wire text (b copies a), `c` follows
/// up; a second story is related; a third was merged into the first.
#[tokio::test]
async fn story_pages_timeline_related_and_merged_ids() {
    use courant_store::{Placement, StoryBatch};
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path().join("c.db")).unwrap());
    let t0 = Utc::now() - chrono::Duration::days(1);
    let mut ids = Vec::new();
    for (i, (feed, title)) in [
        ("https://a.org/feed", XSS_TITLE),
        ("https://b.org/feed", "Quake copy"),
        ("https://c.org/feed", "Quake follow-up"),
        ("https://c.org/feed", "Other quake elsewhere"),
        ("https://a.org/feed", "Merged piece"),
    ]
    .into_iter()
    .enumerate()
    {
        let src = store
            .add_source(&NewSource {
                feed_url: feed.into(),
                name: feed.split('/').nth(2).unwrap_or_default().into(),
                lang: Some("en".into()),
                attribution: None,
            })
            .unwrap();
        let at = t0 + chrono::Duration::hours(i as i64);
        store
            .insert_entries(
                src.id,
                &[FeedEntry {
                    guid: format!("g{i}"),
                    title: title.into(),
                    published: Some(at),
                    ..FeedEntry::default()
                }],
                Utc::now(),
            )
            .unwrap();
        let a = store.claim_pending(Utc::now(), 60, 1).unwrap().remove(0);
        store
            .finish_article(
                a.id,
                &ArticleOutcome::Ready(Box::new(ProcessedArticle {
                    title: title.into(),
                    text: format!("First sentence of {title} here, long enough to be one. Second."),
                    html: "<p>x</p>".into(),
                    lang: Some("en".into()),
                    published: Some(at),
                    body_origin: "feed".into(),
                    ..ProcessedArticle::default()
                })),
            )
            .unwrap();
        ids.push(a.id);
    }
    let now = Utc::now();
    assert!(store
        .acquire_lease("stories", "t", now, now + chrono::Duration::seconds(30))
        .unwrap());
    let place = |article, story, duplicate_of, central| Placement {
        article,
        story,
        duplicate_of,
        central,
    };
    store
        .record_stories(
            "stories",
            "t",
            &StoryBatch {
                placements: vec![
                    place(ids[0], 1, None, 1.0),
                    place(ids[1], 1, Some(ids[0]), 0.0),
                    place(ids[2], 1, None, 0.8),
                    place(ids[3], 2, None, 1.0),
                    place(ids[4], 3, None, 1.0),
                ],
                links: vec![(2, 1, 0.15)],
                merges: vec![(3, 1)],
                moves: vec![],
                ..StoryBatch::default()
            },
            now,
        )
        .unwrap();
    let app = router(store, WebConfig::default());

    let (status, home) = get(&app, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(home.contains("href=\"/stories/1\""), "{home}");
    assert!(home.contains("4 articles from 3 outlets"), "{home}");
    assert_no_active_content(&home);

    let (status, page) = get(&app, "/stories/1").await;
    assert_eq!(status, StatusCode::OK);
    assert_no_active_content(&page);
    assert!(page.contains("&lt;script&gt;"), "the lead's title, escaped");
    // The copy is listed as another outlet carrying the original.
    assert!(
        page.contains(&format!(
            "Also carried by: <a href=\"/articles/{}\">b.org</a>",
            ids[1]
        )),
        "{page}"
    );
    let follow = page.find("Quake follow-up").unwrap();
    let merged = page.find("Merged piece").unwrap();
    assert!(follow < merged, "timeline in time order");
    assert!(page.contains("href=\"/stories/2\""), "related story");

    let resp = app
        .clone()
        .oneshot(Request::get("/stories/3").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(resp.headers()["location"], "/stories/1");
    assert_eq!(get(&app, "/stories/99").await.0, StatusCode::NOT_FOUND);

    // Article pages: the story, the outlets that carried the same text, and
    // related news (the story's other articles, then related stories' leads).
    let (_, art) = get(&app, &format!("/articles/{}", ids[0])).await;
    assert!(art.contains("href=\"/stories/1\""));
    assert!(art.contains(&format!(
        "Also carried by: <a href=\"/articles/{}\">",
        ids[1]
    )));
    for other in [ids[2], ids[4], ids[3]] {
        assert!(
            art.contains(&format!("<a href=\"/articles/{other}\">")),
            "{other}: {art}"
        );
    }
    let (_, lone) = get(&app, &format!("/articles/{}", ids[3])).await;
    assert!(
        lone.contains("Related"),
        "a one-article story still has related news"
    );
    assert!(lone.contains(&format!("<a href=\"/articles/{}\">", ids[0])));

    let (status, api) = get(&app, "/api/v1/stories/3").await;
    assert_eq!(status, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&api).unwrap();
    assert_eq!(v["merged_into"], 1);
    assert_eq!(v["id"], 1);
    assert_eq!(v["timeline"].as_array().unwrap().len(), 3);
    assert_eq!(v["timeline"][0]["copies"].as_array().unwrap().len(), 1);
    let (_, list) = get(&app, "/api/v1/stories").await;
    let list: serde_json::Value = serde_json::from_str(&list).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(list[0]["id"], 1, "the wider story ranks first");

    // Each story has its feeds; a merged id serves the survivor's.
    let (status, atom) = get(&app, "/stories/3/feed.atom").await;
    assert_eq!(status, StatusCode::OK);
    let parsed = courant_feed::parse(atom.as_bytes(), None).unwrap();
    assert_eq!(parsed.entries.len(), 4);
    assert_eq!(parsed.entries[0].title, "Merged piece", "newest first");
}

async fn get_typed(app: &Router, uri: &str) -> (StatusCode, String, String) {
    let resp = app
        .clone()
        .oneshot(
            Request::get(uri)
                .header("host", "localhost:8080")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let status = resp.status();
    let ct = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, ct, String::from_utf8_lossy(&body).into_owned())
}

/// Atom out is valid: it parses back with courant's own feed parser and keeps
/// the text, including titles full of markup, which stay text.
#[tokio::test]
async fn atom_and_json_feed_parse_back_and_stay_inert() {
    let s = site();
    let (status, ct, atom) = get_typed(&s.app, "/feed.atom").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.starts_with("application/atom+xml"));
    assert!(!atom.contains("<script"), "{atom}");
    assert!(
        !atom.contains("javascript:"),
        "unsafe links are left out: {atom}"
    );
    let parsed = courant_feed::parse(atom.as_bytes(), None).unwrap();
    assert_eq!(parsed.entries.len(), 3);
    let xss = parsed.entries.iter().find(|e| e.title == "Title").unwrap();
    // The title travels as escaped text; courant's parser, like any careful
    // reader, shows markup in a title as text without the tags, and a
    // script's content never as text.
    assert!(atom.contains("&lt;script&gt;alert("), "{atom}");
    assert_eq!(xss.title, "Title");
    let body = xss.content.as_deref().unwrap_or_default();
    assert!(
        body.contains("Body") && body.contains("https://ex.org/x"),
        "{body}"
    );
    assert_eq!(
        xss.url.as_deref(),
        Some(format!("http://localhost:8080/articles/{}", s.article_id).as_str())
    );
    assert_eq!(
        xss.authors,
        vec!["<i>Ann</i>".to_string()],
        "authors are text too"
    );

    let (status, ct, json) = get_typed(&s.app, "/feed.json?lang=en").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.starts_with("application/feed+json"));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["version"], "https://jsonfeed.org/version/1.1");
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "the German article is filtered out");
    assert!(items.iter().any(|i| i["title"] == XSS_TITLE));
    assert!(items
        .iter()
        .all(|i| !i["content_html"].as_str().unwrap().contains("<script")));
    assert!(items.iter().all(|i| i["external_url"]
        .as_str()
        .is_none_or(|u| u.starts_with("https://"))));

    let (status, _, src) = get_typed(&s.app, &format!("/sources/{}/feed.atom", s.source_id)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        courant_feed::parse(src.as_bytes(), None)
            .unwrap()
            .entries
            .len(),
        3
    );
    assert_eq!(
        get(&s.app, "/sources/999/feed.atom").await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&s.app, "/stories/999/feed.json").await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&s.app, "/feed.atom?lang=%3Cx%3E").await.0,
        StatusCode::BAD_REQUEST
    );

    let (status, _, map) = get_typed(&s.app, "/sitemap.xml").await;
    assert_eq!(status, StatusCode::OK);
    assert!(map.contains(&format!(
        "<loc>http://localhost:8080/articles/{}</loc>",
        s.article_id
    )));
    let (_, _, news) = get_typed(&s.app, "/news-sitemap.xml").await;
    assert_eq!(
        news.matches("<news:news>").count(),
        3,
        "all published just now"
    );
    assert!(news.contains("&lt;script&gt;") && !news.contains("<script"));
    assert!(news.contains("<news:name>Example &lt;b&gt;News&lt;/b&gt;</news:name>"));
}

async fn send(
    app: &Router,
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: &str,
) -> (StatusCode, String) {
    let mut req = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json");
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let resp = app
        .clone()
        .oneshot(req.body(Body::from(body.to_string())).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// Writes need the configured token; without one they are off. Hiding takes
/// an article out of pages, lists and the API; showing brings it back.
#[tokio::test]
async fn write_api_needs_the_token() {
    let off = site();
    let (status, body) = send(
        &off.app,
        "DELETE",
        &format!("/api/v1/sources/{}", off.source_id),
        Some("x"),
        "",
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body.contains("write API is off"));

    let s = site_with(WebConfig {
        api_token: Some("s3cret-token".into()),
        ..WebConfig::default()
    });
    let new = r#"{"feed_url":"https://new.example/feed.xml","name":"New","lang":"de"}"#;
    assert_eq!(
        send(&s.app, "POST", "/api/v1/sources", None, new).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        send(&s.app, "POST", "/api/v1/sources", Some("s3cret-tokeN"), new)
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    let (status, body) = send(&s.app, "POST", "/api/v1/sources", Some("s3cret-token"), new).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let created: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(created["name"], "New");
    for bad in [
        r#"{"feed_url":"javascript:alert(1)"}"#,
        r#"{"feed_url":"file:///etc/passwd"}"#,
        r#"{"feed_url":"https://x.example/f","lang":"<b>"}"#,
    ] {
        assert_eq!(
            send(&s.app, "POST", "/api/v1/sources", Some("s3cret-token"), bad)
                .await
                .0,
            StatusCode::BAD_REQUEST,
            "{bad}"
        );
    }

    let page = format!("/articles/{}", s.article_id);
    let hide = format!("/api/v1/articles/{}/hide", s.article_id);
    assert_eq!(
        send(&s.app, "POST", &hide, None, "").await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(get(&s.app, &page).await.0, StatusCode::OK, "still shown");
    assert_eq!(
        send(&s.app, "POST", &hide, Some("s3cret-token"), "")
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(get(&s.app, &page).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        get(&s.app, &format!("/api/v1/articles/{}", s.article_id))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let (_, latest) = get(&s.app, "/latest").await;
    assert!(
        !latest.contains(&format!("/articles/{}\"", s.article_id)),
        "{latest}"
    );
    assert_eq!(
        send(&s.app, "DELETE", &hide, Some("s3cret-token"), "")
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(get(&s.app, &page).await.0, StatusCode::OK, "shown again");
    assert_eq!(
        send(
            &s.app,
            "POST",
            "/api/v1/articles/999/hide",
            Some("s3cret-token"),
            ""
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );

    let (status, _) = send(
        &s.app,
        "DELETE",
        &format!("/api/v1/sources/{}", s.source_id),
        Some("s3cret-token"),
        "",
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        get(&s.app, &page).await.0,
        StatusCode::NOT_FOUND,
        "its articles went with it"
    );
}

/// The OpenAPI document parses and lists every API route, with the write
/// operations marked as needing the token.
#[tokio::test]
async fn openapi_document_covers_the_api() {
    let s = site();
    let (status, body) = get(&s.app, "/api/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for (path, method, secured) in [
        ("/articles", "get", false),
        ("/articles/{id}", "get", false),
        ("/articles/{id}/hide", "post", true),
        ("/articles/{id}/hide", "delete", true),
        ("/sources", "get", false),
        ("/sources", "post", true),
        ("/sources/{id}", "get", false),
        ("/sources/{id}", "delete", true),
        ("/stories", "get", false),
        ("/stories/{id}", "get", false),
        ("/stats", "get", false),
        ("/search", "get", false),
        ("/openapi.json", "get", false),
        ("/articles/{id}/translations", "get", false),
    ] {
        let op = &doc["paths"][path][method];
        assert!(op.is_object(), "{method} {path} missing");
        assert_eq!(op["security"].is_array(), secured, "{method} {path}");
        // Every path in the document answers (not 404 for an unknown route).
        let uri = format!("/api/v1{}", path.replace("{id}", "1"));
        if method == "get" {
            let (status, _) = get(&s.app, &uri).await;
            assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{uri}");
        }
    }
    assert_eq!(doc["paths"].as_object().unwrap().len(), 11);
}

/// /metrics: off without a recorder; with one, request counts by route and
/// the store's gauges in the Prometheus text format.
#[tokio::test]
async fn metrics_in_prometheus_format() {
    assert_eq!(get(&site().app, "/metrics").await.0, StatusCode::NOT_FOUND);
    let s = site_with(WebConfig {
        metrics: install_recorder(),
        ..WebConfig::default()
    });
    assert_eq!(
        get(&s.app, &format!("/articles/{}", s.article_id)).await.0,
        StatusCode::OK
    );
    let (ct_status, ct, body) = get_typed(&s.app, "/metrics").await;
    assert_eq!(ct_status, StatusCode::OK);
    assert!(ct.starts_with("text/plain"));
    assert!(
        body.contains(r#"courant_http_requests_total{route="/articles/{id}",status="2xx"}"#),
        "{body}"
    );
    assert!(
        body.contains(r#"courant_articles{status="ready"} 3"#),
        "{body}"
    );
    assert!(
        body.contains(r#"courant_queue_depth{queue="stories"} 3"#),
        "{body}"
    );
    assert!(
        body.contains("courant_http_request_seconds_bucket"),
        "{body}"
    );
}

//! Search pages, API and feeds; language editions and their catalogs.

use super::*;

fn search_site() -> Site {
    site_with(WebConfig {
        search: Some(Arc::new(courant_search::SearchIndex::in_memory().unwrap())),
        ..WebConfig::default()
    })
}

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

#[tokio::test]
async fn search_page_marks_words_and_stays_inert() {
    let s = search_site();
    let (status, page) = get(&s.app, "/search?q=title").await;
    assert_eq!(status, StatusCode::OK);
    assert_no_active_content(&page);
    // The hostile title is found, shown escaped, with the word marked.
    assert!(page.contains("<mark>Title</mark>"), "{page}");
    assert!(page.contains("&lt;script&gt;"), "{page}");
    assert!(page.contains("1 matching articles"), "{page}");
    let (_, all) = get(&s.app, "/search?q=body").await;
    assert!(all.contains("3 matching articles"), "{all}");
    assert_eq!(all.matches("class=\"hit\"").count(), 3);
    assert!(all.contains("<mark>Body</mark> text"));
    // The form keeps what was asked, escaped.
    let (_, echo) = get(&s.app, "/search?q=%22%3E%3Cscript%3Ex").await;
    assert!(!echo.contains("\"><script"), "{echo}");
    // An empty form is a page, not an error.
    let (status, empty) = get(&s.app, "/search").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!empty.contains("matching articles"));
}

#[tokio::test]
async fn search_filters_and_bad_parameters() {
    let s = search_site();
    let (_, de) = get(&s.app, "/search?q=body&lang=de").await;
    assert!(
        de.contains("1 matching articles") && de.contains("Story 2"),
        "{de}"
    );
    let (_, src) = get(&s.app, &format!("/search?q=body&source={}", s.source_id)).await;
    assert!(src.contains("3 matching articles"));
    let (_, none) = get(&s.app, "/search?q=body&source=99999").await;
    assert!(none.contains("Nothing matches"), "{none}");
    let (_, future) = get(&s.app, "/search?q=body&from=2999-01-01").await;
    assert!(future.contains("Nothing matches"));
    let (_, today) = get(
        &s.app,
        &format!("/search?q=body&to={}", Utc::now().format("%Y-%m-%d")),
    )
    .await;
    assert!(
        today.contains("3 matching articles"),
        "a bare 'to' date includes that day"
    );
    for bad in [
        "/search?q=body&from=yesterday",
        "/search?q=body&sort=random",
        "/search?q=body&source=abc",
        "/search?q=body&lang=%3Cx%3E",
    ] {
        assert_eq!(get(&s.app, bad).await.0, StatusCode::BAD_REQUEST, "{bad}");
    }
    // Broken query syntax still searches the words.
    let (status, broken) = get(&s.app, "/search?q=%22body+AND+(").await;
    assert_eq!(status, StatusCode::OK);
    assert!(broken.contains("3 matching articles"), "{broken}");
}

#[tokio::test]
async fn search_api_and_hidden_articles() {
    let dir = tempfile::tempdir().unwrap();
    let s = search_site();
    let (status, body) = get(&s.app, "/api/v1/search?q=body&limit=2").await;
    assert_eq!(status, StatusCode::OK);
    let v = json(&body);
    assert_eq!(v["total"], 3);
    assert_eq!(v["hits"].as_array().unwrap().len(), 2);
    assert_eq!(v["more"], true);
    assert!(v["hits"][0]["snippet_html"]
        .as_str()
        .unwrap()
        .contains("<mark>Body</mark>"));
    let (status, body) = get(&s.app, "/api/v1/search").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(json(&body)["error"], "q is required");

    // A hidden article is never a hit, though the index still holds it.
    let store = Arc::new(SqliteStore::open(dir.path().join("h.db")).unwrap());
    let src = store
        .add_source(&NewSource {
            feed_url: "https://ex.org/f".into(),
            name: "Ex".into(),
            lang: Some("en".into()),
            attribution: None,
        })
        .unwrap();
    let entries: Vec<FeedEntry> = (0..2)
        .map(|i| FeedEntry {
            guid: format!("h{i}"),
            title: format!("Harbour strike day {i}"),
            published: Some(Utc::now()),
            ..FeedEntry::default()
        })
        .collect();
    store.insert_entries(src.id, &entries, Utc::now()).unwrap();
    for a in store.claim_pending(Utc::now(), 60, 10).unwrap() {
        store
            .finish_article(
                a.id,
                &ArticleOutcome::Ready(Box::new(ProcessedArticle {
                    title: a.entry.title.clone(),
                    text: "Dock workers stopped work.".into(),
                    lang: Some("en".into()),
                    ..ProcessedArticle::default()
                })),
            )
            .unwrap();
    }
    let index = Arc::new(courant_search::SearchIndex::in_memory().unwrap());
    let ids = index_ready(store.as_ref(), &index);
    assert_eq!(ids.len(), 2);
    let (hidden, shown) = (ids[0], ids[1]);
    assert!(store.set_hidden(hidden, true).unwrap());
    let app = router(
        store.clone(),
        WebConfig {
            search: Some(index),
            ..WebConfig::default()
        },
    );
    let v = json(&get(&app, "/api/v1/search?q=harbour").await.1);
    let ids: Vec<i64> = v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![shown]);
    assert!(store.set_hidden(hidden, false).unwrap());
    let v = json(&get(&app, "/api/v1/search?q=harbour").await.1);
    assert_eq!(v["hits"].as_array().unwrap().len(), 2, "shown again");
}

#[tokio::test]
async fn search_feeds_parse_back() {
    let s = search_site();
    let (status, ct, atom) = get_typed(&s.app, "/search/feed.atom?q=body&lang=en").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.starts_with("application/atom+xml"));
    assert!(!atom.contains("<script"), "{atom}");
    let parsed = courant_feed::parse(atom.as_bytes(), None).unwrap();
    assert_eq!(parsed.entries.len(), 2);
    assert!(parsed.entries.iter().any(|e| e.title == "Title"));
    assert!(atom.contains("http://localhost:8080/search/feed.atom?q=body&amp;lang=en"));
    let (status, ct, feed) = get_typed(&s.app, "/search/feed.json?q=body").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ct, "application/feed+json");
    let v = json(&feed);
    assert_eq!(v["items"].as_array().unwrap().len(), 3);
    assert_eq!(v["version"], "https://jsonfeed.org/version/1.1");
    assert_eq!(
        get(&s.app, "/search/feed.atom").await.0,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn without_an_index_search_is_off() {
    let s = site();
    assert_eq!(get(&s.app, "/search?q=x").await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        get(&s.app, "/api/v1/search?q=x").await.0,
        StatusCode::NOT_FOUND
    );
    let (_, home) = get(&s.app, "/").await;
    assert!(!home.contains("action=\"/search\""), "no search box");
}

#[tokio::test]
async fn language_editions() {
    let s = search_site();
    let (status, de) = get(&s.app, "/de/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(de.contains("<html lang=\"de\">"), "{de}");
    assert!(
        de.contains(">Neueste<") && de.contains("Suche"),
        "German words: {de}"
    );
    assert!(
        de.contains("Story 2") && !de.contains("Story 1"),
        "German articles only"
    );
    assert!(de.contains("href=\"/de/latest\"") && de.contains("action=\"/de/search\""));
    assert!(de.contains("href=\"/feed.atom?lang=de\""));
    let (_, latest) = get(&s.app, "/de/latest").await;
    assert!(latest.contains("Story 2") && !latest.contains("Story 1"));
    let (_, found) = get(&s.app, "/de/search?q=body").await;
    assert!(found.contains("1 passende Artikel"), "{found}");
    // A language without a catalog: its articles, the site's words.
    let (status, en) = get(&s.app, "/en/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(en.contains(">Latest<") && en.contains("Story 1") && !en.contains("Story 2"));
    let resp = s
        .app
        .clone()
        .oneshot(Request::get("/de").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(resp.headers()["location"], "/de/");
    for not_an_edition in ["/sources/", "/deutsch/", "/DE/", "/d/", "/de-x/latest"] {
        assert_eq!(
            get(&s.app, not_an_edition).await.0,
            StatusCode::NOT_FOUND,
            "{not_an_edition}"
        );
    }
    // The whole site still answers in its own language.
    let (_, home) = get(&s.app, "/").await;
    assert!(home.contains("<html lang=\"en\">") && home.contains(">By source<"));
    assert!(home.contains("href=\"/de/\""), "edition links: {home}");
}

#[tokio::test]
async fn operator_catalogs_and_theme() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("i18n")).unwrap();
    std::fs::write(dir.path().join("i18n/de.json"), r#"{"latest": "Aktuell"}"#).unwrap();
    std::fs::write(
        dir.path().join("i18n/nl.json"),
        r#"{"name": "Nederlands", "latest": "Laatste"}"#,
    )
    .unwrap();
    std::fs::write(dir.path().join("i18n/bad.json"), "not json").unwrap();
    std::fs::write(
        dir.path().join("theme.css"),
        ":root { --accent:#c00; } /* operator theme */",
    )
    .unwrap();
    let s = site_with(WebConfig {
        templates_dir: Some(dir.path().to_path_buf()),
        site_lang: "nl".into(),
        ..WebConfig::default()
    });
    let (_, de) = get(&s.app, "/de/").await;
    assert!(de.contains(">Aktuell<"), "override wins");
    assert!(
        de.contains(">Quellen<"),
        "the rest of the built-in catalog stays"
    );
    let (_, home) = get(&s.app, "/").await;
    assert!(home.contains("<html lang=\"nl\">") && home.contains(">Laatste<"));
    assert!(
        home.contains(">By source<"),
        "missing keys fall back to English"
    );
    assert!(home.contains("/* operator theme */") && !home.contains("--accent:#0b5394"));
}

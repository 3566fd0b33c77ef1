//! Issue 24's web findings: security headers, the Host header, /metrics,
//! wrong-token throttling, and the listener's limits. Each test failed before
//! its fix.

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::ConnectInfo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::*;

async fn request(
    app: &Router,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    from: Option<SocketAddr>,
) -> axum::response::Response {
    let mut req = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let mut req = req.body(Body::empty()).unwrap();
    if let Some(a) = from {
        req.extensions_mut().insert(ConnectInfo(a));
    }
    app.clone().oneshot(req).await.unwrap()
}

/// Pages, feeds, API answers and errors all carry the security headers.
#[tokio::test]
async fn every_response_has_security_headers() {
    let s = site();
    for uri in [
        "/".to_string(),
        format!("/articles/{}", s.article_id),
        "/feed.atom".into(),
        "/api/v1/articles".into(),
        "/no/such/page".into(),
    ] {
        let resp = request(&s.app, "GET", &uri, &[("host", "localhost")], None).await;
        let h = resp.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{uri}: {csp}");
        assert!(csp.contains("script-src 'none'"), "{uri}: {csp}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{uri}");
        assert_eq!(h["x-frame-options"], "DENY", "{uri}");
        assert!(h.contains_key("referrer-policy"), "{uri}");
    }
}

/// Without `base_url`, absolute links come only from a Host that names this
/// machine; any other Host gets 503 and a hint, never its own name back.
#[tokio::test]
async fn untrusted_host_is_not_reflected() {
    let s = site();
    for (host, want) in [
        ("evil.example", StatusCode::SERVICE_UNAVAILABLE),
        ("localhost.evil.example", StatusCode::SERVICE_UNAVAILABLE),
        ("127.0.0.1.nip.io", StatusCode::SERVICE_UNAVAILABLE),
        ("[::1]:8080", StatusCode::OK),
        ("127.0.0.1:3000", StatusCode::OK),
        ("LOCALHOST", StatusCode::OK),
    ] {
        for uri in [
            "/feed.atom",
            "/feed.json",
            "/sitemap.xml",
            "/news-sitemap.xml",
        ] {
            let resp = request(&s.app, "GET", uri, &[("host", host)], None).await;
            assert_eq!(resp.status(), want, "{host} {uri}");
            let body = resp.into_body().collect().await.unwrap().to_bytes();
            let body = String::from_utf8_lossy(&body);
            if want != StatusCode::OK {
                assert!(body.contains("base_url"), "{body}");
                assert!(!body.contains(host), "{body}");
            }
        }
    }
    let s = site_with(WebConfig {
        base_url: Some("https://news.example/".into()),
        ..WebConfig::default()
    });
    let resp = request(
        &s.app,
        "GET",
        "/feed.atom",
        &[("host", "evil.example")],
        None,
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    let body = String::from_utf8_lossy(&body);
    assert!(body.contains("https://news.example/articles/"));
    assert!(!body.contains("evil.example"));
}

/// `/metrics` can ask for a token of its own.
#[tokio::test]
async fn metrics_token_guards_metrics() {
    let s = site_with(WebConfig {
        metrics: install_recorder(),
        metrics_token: Some("m-token".into()),
        ..WebConfig::default()
    });
    let status = |h: &'static [(&'static str, &'static str)]| {
        let app = s.app.clone();
        async move { request(&app, "GET", "/metrics", h, None).await.status() }
    };
    assert_eq!(status(&[]).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        status(&[("authorization", "Bearer wrong")]).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        status(&[("authorization", "Bearer m-token")]).await,
        StatusCode::OK
    );
}

/// Five wrong tokens in a minute from one address: that address gets 429
/// for what needs a token, even with the right one; other addresses and the
/// pages are unaffected.
#[tokio::test]
async fn wrong_tokens_are_throttled_per_address() {
    let s = site_with(WebConfig {
        api_token: Some("right".into()),
        ..WebConfig::default()
    });
    let guesser: SocketAddr = "203.0.113.9:5000".parse().unwrap();
    let other: SocketAddr = "198.51.100.7:5000".parse().unwrap();
    let hide = format!("/api/v1/articles/{}/hide", s.article_id);
    for i in 0..5 {
        let resp = request(
            &s.app,
            "POST",
            &hide,
            &[("authorization", &format!("Bearer guess{i}"))],
            Some(guesser),
        )
        .await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    }
    let right = [("authorization", "Bearer right")];
    let resp = request(&s.app, "POST", &hide, &right, Some(guesser)).await;
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(resp.headers()["retry-after"], "60");
    let resp = request(&s.app, "GET", "/api/v1/articles", &right, Some(guesser)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = request(&s.app, "POST", &hide, &right, Some(other)).await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
}

async fn listen(limits: ServerLimits) -> (SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let s = site();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    // The site's folder must outlive the server.
    tokio::spawn(async move {
        let _keep = s._dir;
        serve(listener, s.app, limits, async {
            let _ = stopped.await;
        })
        .await
        .unwrap();
    });
    (addr, stop)
}

async fn healthz(addr: SocketAddr) -> String {
    let mut c = tokio::net::TcpStream::connect(addr).await.unwrap();
    c.write_all(b"GET /healthz HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut out = String::new();
    c.read_to_string(&mut out).await.unwrap();
    out
}

/// Idle connections and clients that drip their request are closed after
/// the head timeout, and the server answers others meanwhile. (Before: axum's
/// defaults held an idle connection for 30 s or more.)
#[tokio::test]
async fn idle_and_dripping_clients_are_closed() {
    let (addr, _stop) = listen(ServerLimits {
        max_connections: 64,
        header_timeout: Duration::from_millis(500),
    })
    .await;
    let mut idle = Vec::new();
    for _ in 0..20 {
        idle.push(tokio::net::TcpStream::connect(addr).await.unwrap());
    }
    let mut drip = tokio::net::TcpStream::connect(addr).await.unwrap();
    drip.write_all(b"GET / HTTP/1.1\r\nhost: local")
        .await
        .unwrap();
    assert!(healthz(addr).await.ends_with("ok"));
    for mut c in idle.into_iter().chain([drip]) {
        let mut buf = [0u8; 256];
        // Closed (EOF, maybe after a 408) well within two timeouts.
        let read = tokio::time::timeout(Duration::from_secs(2), async {
            loop {
                match c.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
            }
        })
        .await;
        assert!(read.is_ok(), "connection still open after 2 s");
    }
}

/// At the connection limit, the next client waits in the backlog and is
/// served once a slot frees; the process never runs out of descriptors.
#[tokio::test]
async fn connections_are_bounded() {
    let (addr, _stop) = listen(ServerLimits {
        max_connections: 4,
        header_timeout: Duration::from_millis(800),
    })
    .await;
    let mut idle = Vec::new();
    for _ in 0..4 {
        idle.push(tokio::net::TcpStream::connect(addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = std::time::Instant::now();
    let answer = healthz(addr).await;
    assert!(answer.ends_with("ok"), "{answer}");
    // It had to wait for an idle connection's timeout to free a slot.
    assert!(started.elapsed() >= Duration::from_millis(500));
    drop(idle);
}

/// What the schema-driven probe found: errors the framework answers itself
/// were plain text and undocumented. Each is JSON now, and each status is
/// in the OpenAPI document for its operation.
#[tokio::test]
async fn api_errors_are_json_and_documented() {
    let s = site_with(WebConfig {
        api_token: Some("t".into()),
        ..WebConfig::default()
    });
    let doc: serde_json::Value = serde_json::from_str(include_str!("../../openapi.json")).unwrap();
    let auth = ("authorization", "Bearer t");
    // (method, uri, documented path, headers, body, status)
    type Case<'a> = (
        &'a str,
        &'a str,
        &'a str,
        &'a [(&'a str, &'a str)],
        &'a str,
        u16,
    );
    let cases: &[Case] = &[
        (
            "GET",
            "/api/v1/articles/99999999999999999999",
            "/articles/{id}",
            &[],
            "",
            400,
        ),
        (
            "GET",
            "/api/v1/articles/abc",
            "/articles/{id}",
            &[],
            "",
            400,
        ),
        (
            "GET",
            "/api/v1/stories/18446744073709551616",
            "/stories/{id}",
            &[],
            "",
            400,
        ),
        (
            "GET",
            "/api/v1/articles?limit=-1",
            "/articles",
            &[],
            "",
            400,
        ),
        ("GET", "/api/v1/stories?limit=-5", "/stories", &[], "", 400),
        ("GET", "/api/v1/search?q=x&page=-1", "/search", &[], "", 400),
        (
            "POST",
            "/api/v1/sources",
            "/sources",
            &[auth],
            "{\"feed_url\":\"https://a.example/f\"}",
            415,
        ),
        (
            "POST",
            "/api/v1/sources",
            "/sources",
            &[auth, ("content-type", "application/json")],
            "{\"name\":1}",
            422,
        ),
        (
            "POST",
            "/api/v1/sources",
            "/sources",
            &[auth, ("content-type", "application/json")],
            "{not json",
            400,
        ),
        (
            "DELETE",
            "/api/v1/sources/99999999999999999999",
            "/sources/{id}",
            &[auth],
            "",
            400,
        ),
    ];
    for (method, uri, path, headers, body, want) in cases {
        let mut req = Request::builder().method(*method).uri(*uri);
        for (k, v) in *headers {
            req = req.header(*k, *v);
        }
        let resp = s
            .app
            .clone()
            .oneshot(req.body(Body::from(body.to_string())).unwrap())
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), *want, "{method} {uri}");
        assert_eq!(
            resp.headers()["content-type"],
            "application/json",
            "{method} {uri}"
        );
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert!(v["error"].as_str().is_some_and(|e| !e.is_empty()), "{v}");
        let op = &doc["paths"][*path][method.to_lowercase()];
        assert!(
            op["responses"][want.to_string()].is_object(),
            "{method} {path}: {want} not documented"
        );
    }
    // Unknown API routes and methods answer JSON too.
    for (method, uri, want) in [
        ("GET", "/api/v1/nope", 404),
        ("DELETE", "/api/v1/stats", 405),
    ] {
        let resp = request(&s.app, method, uri, &[], None).await;
        assert_eq!(resp.status().as_u16(), want, "{uri}");
        assert_eq!(resp.headers()["content-type"], "application/json");
    }
}

/// A corrected article says so on its page, beside its first date.
#[tokio::test]
async fn corrected_articles_show_when() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("c.db")).unwrap();
    let src = store
        .add_source(&NewSource {
            feed_url: "https://ex.org/feed".into(),
            name: "Ex".into(),
            lang: Some("en".into()),
            attribution: None,
        })
        .unwrap();
    let mut e = FeedEntry {
        guid: "g".into(),
        title: "First".into(),
        summary: Some("Body".into()),
        ..FeedEntry::default()
    };
    let now = Utc::now();
    let finish = |store: &SqliteStore, title: &str| {
        let a = store.claim_pending(Utc::now(), 60, 1).unwrap().remove(0);
        let p = ProcessedArticle {
            title: title.into(),
            text: "Body".into(),
            html: "<p>Body</p>".into(),
            lang: Some("en".into()),
            ..ProcessedArticle::default()
        };
        store
            .finish_claimed(a.id, a.attempts, &ArticleOutcome::Ready(Box::new(p)))
            .unwrap();
        a.id
    };
    store.insert_entries(src.id, &[e.clone()], now).unwrap();
    let id = finish(&store, "First");
    e.title = "Second".into();
    store
        .insert_entries(src.id, &[e], now + chrono::Duration::hours(1))
        .unwrap();
    finish(&store, "Second");
    let app = router(Arc::new(store), WebConfig::default());
    let (status, page) = get(&app, &format!("/articles/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("class=\"updated\">updated "), "{page}");
    let (_, api) = get(&app, &format!("/api/v1/articles/{id}")).await;
    let v: serde_json::Value = serde_json::from_str(&api).unwrap();
    assert!(v["updated"].is_string(), "{v}");
}

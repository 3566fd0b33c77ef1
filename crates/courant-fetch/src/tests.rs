use std::net::IpAddr;
use std::time::Duration;

use super::*;

async fn origin() -> courant_origin::Server {
    courant_origin::spawn(|_| courant_origin::faults())
        .await
        .unwrap()
}

fn loopback_ok() -> Fetcher {
    Fetcher::new(FetchConfig {
        allow_private: true,
        max_body_bytes: 4 * 1024 * 1024,
        timeout: Duration::from_secs(5),
        ..FetchConfig::default()
    })
    .unwrap()
}

async fn get(f: &Fetcher, url: &str) -> Result<Outcome, Error> {
    f.get(url, &Validators::default()).await
}

#[tokio::test]
async fn fetches_and_follows_bounded_redirects() {
    let o = origin().await;
    let f = loopback_ok();
    let Outcome::Fetched(r) = get(&f, &o.url("/fault/redirects/3")).await.unwrap() else {
        panic!("expected a body")
    };
    assert!(r.final_url.ends_with("/feed/ok"));
    assert!(std::str::from_utf8(&r.body)
        .unwrap()
        .contains("Fixture story 1"));
    // Six hops exceed the default bound of five.
    let err = get(&f, &o.url("/fault/redirects/6")).await.unwrap_err();
    assert!(matches!(err, Error::TooManyRedirects(5)), "{err:?}");
}

#[tokio::test]
async fn redirect_loops_are_detected() {
    let o = origin().await;
    let f = loopback_ok();
    for path in ["/fault/loop", "/fault/loop-a"] {
        let err = get(&f, &o.url(path)).await.unwrap_err();
        assert!(matches!(err, Error::RedirectLoop(_)), "{path}: {err:?}");
        assert_eq!(err.kind(), "redirect");
    }
}

#[tokio::test]
async fn http_errors_are_classified() {
    let o = origin().await;
    let f = loopback_ok();
    let e404 = get(&f, &o.url("/fault/404")).await.unwrap_err();
    assert!(matches!(e404, Error::Status(404)));
    assert!(!e404.is_retriable());
    let e500 = get(&f, &o.url("/fault/500")).await.unwrap_err();
    assert!(matches!(e500, Error::Status(500)));
    assert!(e500.is_retriable());
}

#[tokio::test]
async fn bodies_are_capped_even_after_decompression() {
    let o = origin().await;
    let f = loopback_ok();
    for path in ["/fault/huge", "/fault/huge-declared", "/fault/gzip-bomb"] {
        let err = get(&f, &o.url(path)).await.unwrap_err();
        assert!(
            matches!(err, Error::TooLarge(n) if n == 4 * 1024 * 1024),
            "{path}: {err:?}"
        );
    }
}

#[tokio::test]
async fn conditional_get_uses_validators() {
    let o = origin().await;
    let f = loopback_ok();
    let Outcome::Fetched(first) = get(&f, &o.url("/feed/etag")).await.unwrap() else {
        panic!("first fetch must carry a body")
    };
    assert_eq!(first.validators.etag.as_deref(), Some("\"v1\""));
    assert!(first.validators.last_modified.is_some());
    let again = f
        .get(&o.url("/feed/etag"), &first.validators)
        .await
        .unwrap();
    assert!(matches!(again, Outcome::NotModified));
    // Last-Modified alone is honored too.
    let lm_only = Validators {
        etag: None,
        last_modified: first.validators.last_modified.clone(),
    };
    assert!(matches!(
        f.get(&o.url("/feed/etag"), &lm_only).await.unwrap(),
        Outcome::NotModified
    ));
}

#[tokio::test]
async fn loopback_is_refused_unless_allowed() {
    let o = origin().await;
    let strict = Fetcher::new(FetchConfig::default()).unwrap();
    for url in [
        o.url("/feed/ok"),
        format!("http://localhost:{}/feed/ok", o.addr.port()),
        "http://[::1]/".to_string(),
        "http://169.254.169.254/latest/meta-data".to_string(),
        "http://10.0.0.1/".to_string(),
    ] {
        let err = get(&strict, &url).await.unwrap_err();
        assert!(matches!(err, Error::Blocked(_)), "{url}: {err:?}");
        assert!(err.to_string().contains("allow_private"));
    }
}

/// Names of the loopback host are refused from the URL alone, before any
/// DNS query (before the fix, `LOCALHOST.` and `localhost.` went to the
/// resolver, which refused them only after looking them up).
#[test]
fn localhost_names_are_refused_before_resolution() {
    let refused = [
        "http://localhost/",
        "http://LOCALHOST/",
        "http://localhost./",
        "http://LOCALHOST./feed",
        "http://a.b.localhost./",
        "http://Foo.LocalHost/",
    ];
    for u in refused {
        let url = url::Url::parse(u).unwrap();
        assert!(guard::check_url_literal(&url).is_err(), "{u}");
    }
    let allowed = [
        "http://localhost.example.org/",
        "http://notlocalhost/",
        "http://example.org./",
    ];
    for u in allowed {
        let url = url::Url::parse(u).unwrap();
        assert!(guard::check_url_literal(&url).is_ok(), "{u}");
    }
}

#[tokio::test]
async fn resolver_drops_private_answers() {
    use reqwest::dns::Resolve;
    let name: reqwest::dns::Name = "localhost".parse().unwrap();
    let res = guard::GuardedResolver.resolve(name).await;
    let err = res.err().expect("localhost resolves only to loopback");
    assert!(err.downcast_ref::<BlockedAddress>().is_some(), "{err}");
}

#[tokio::test]
async fn timeouts_and_dead_hosts() {
    let o = origin().await;
    let f = Fetcher::new(FetchConfig {
        allow_private: true,
        timeout: Duration::from_millis(300),
        ..FetchConfig::default()
    })
    .unwrap();
    let err = get(&f, &o.url("/fault/slow")).await.unwrap_err();
    assert!(matches!(err, Error::Timeout), "{err:?}");
    // A port nobody listens on.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = dead.local_addr().unwrap().port();
    drop(dead);
    let err = get(&f, &format!("http://127.0.0.1:{port}/"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Connect(_)), "{err:?}");
    assert!(err.is_retriable());
}

#[tokio::test]
async fn bad_urls() {
    let f = loopback_ok();
    assert!(matches!(
        get(&f, "not a url").await,
        Err(Error::InvalidUrl(_))
    ));
    assert!(matches!(
        get(&f, "file:///etc/passwd").await,
        Err(Error::UnsupportedScheme(_))
    ));
}

#[tokio::test]
async fn unknown_charset_is_sniffed_with_a_warning() {
    let o = origin().await;
    let f = loopback_ok();
    let Outcome::Fetched(r) = get(&f, &o.url("/fault/charset")).await.unwrap() else {
        panic!()
    };
    let d = decode(&r.body, r.content_type.as_deref());
    assert!(d.text.contains("Grüße aus München"), "{}", &d.text[..80]);
    assert_eq!(d.source, "sniffed");
    assert!(d.warning.unwrap().contains("x-klingon-9"));
}

#[test]
fn charset_sources_in_order() {
    // (body, content-type, expected encoding, expected source)
    let cases: &[(&[u8], Option<&str>, &str, &str)] = &[
        (
            b"\xef\xbb\xbf<p>caf\xc3\xa9</p>",
            Some("text/html; charset=iso-8859-1"),
            "UTF-8",
            "bom",
        ),
        (
            b"<p>caf\xe9</p>",
            Some("text/html; charset=\"ISO-8859-1\""),
            "windows-1252",
            "header",
        ),
        (
            b"<html><head><meta charset=\"koi8-r\"></head>",
            Some("text/html"),
            "KOI8-R",
            "meta",
        ),
        (
            b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=Shift_JIS\">",
            None,
            "Shift_JIS",
            "meta",
        ),
        (
            b"<?xml version=\"1.0\" encoding=\"windows-1251\"?><rss/>",
            None,
            "windows-1251",
            "meta",
        ),
        (b"<meta charset=\"utf-16\"><p>x</p>", None, "UTF-8", "meta"),
        // Re-encoded as UTF-8 but still declaring the old charset (People's Daily).
        (
            "<meta content=\"text/html;charset=GB2312\"><p>新华社北京</p>".as_bytes(),
            None,
            "UTF-8",
            "content",
        ),
        (
            "<p>schöne Grüße</p>".as_bytes(),
            Some("text/html; charset=iso-8859-1"),
            "UTF-8",
            "content",
        ),
        (
            "<p>Überall schöne Grüße</p>".as_bytes(),
            None,
            "UTF-8",
            "sniffed",
        ),
    ];
    for (body, ct, enc, src) in cases {
        let d = decode(body, *ct);
        assert_eq!(
            (d.encoding, d.source),
            (*enc, *src),
            "{}",
            String::from_utf8_lossy(body)
        );
    }
    let d = decode(
        b"<p>caf\xe9 cr\xe8me br\xfbl\xe9e, tr\xe8s \xe9l\xe9gant</p>",
        None,
    );
    assert!(d.text.contains("café crème"), "{}", d.text);
}

#[test]
fn public_address_classification() {
    for (ip, public) in [
        ("8.8.8.8", true),
        ("2a00:1450:4001::1", true),
        ("127.0.0.1", false),
        ("10.1.2.3", false),
        ("172.16.0.1", false),
        ("192.168.1.1", false),
        ("169.254.169.254", false),
        ("100.64.0.1", false),
        ("0.0.0.0", false),
        ("::1", false),
        ("fe80::1", false),
        ("fd00::1", false),
        ("::ffff:127.0.0.1", false),
        ("::ffff:8.8.8.8", true),
    ] {
        assert_eq!(is_public_ip(ip.parse::<IpAddr>().unwrap()), public, "{ip}");
    }
}

/// A loopback publisher on `ip` that records when each request starts and
/// the most requests it had in flight at once.
struct Recorder {
    base: String,
    starts: std::sync::Arc<std::sync::Mutex<Vec<std::time::Instant>>>,
    most: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

async fn recorder(ip: &str) -> Recorder {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    let starts: Arc<Mutex<Vec<std::time::Instant>>> = Arc::default();
    let (now, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (s, n, m) = (starts.clone(), now.clone(), most.clone());
    let app = axum::Router::new()
        .route(
            "/slow/{n}",
            axum::routing::get(move || {
                let (s, n, m) = (s.clone(), n.clone(), m.clone());
                async move {
                    s.lock().unwrap().push(std::time::Instant::now());
                    let inflight = n.fetch_add(1, Ordering::SeqCst) + 1;
                    m.fetch_max(inflight, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    n.fetch_sub(1, Ordering::SeqCst);
                    "ok"
                }
            }),
        )
        .route(
            "/busy/{after}",
            axum::routing::get(
                |axum::extract::Path(after): axum::extract::Path<String>| async move {
                    (
                        axum::http::StatusCode::TOO_MANY_REQUESTS,
                        [("retry-after", after)],
                        "slow down",
                    )
                },
            ),
        );
    let listener = tokio::net::TcpListener::bind((ip, 0)).await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Recorder { base, starts, most }
}

fn polite(per_host: usize, interval_ms: u64, max_wait: Duration) -> Fetcher {
    Fetcher::new(FetchConfig {
        allow_private: true,
        timeout: Duration::from_secs(5),
        host: HostPolicy {
            per_host,
            interval: Duration::from_millis(interval_ms),
        },
        max_host_wait: max_wait,
        ..FetchConfig::default()
    })
    .unwrap()
}

/// Two hosts, six requests each, at once: never more than two in flight per
/// host, starts at least the interval apart, and one host's queue does not
/// hold the other back.
#[tokio::test]
async fn per_host_limits_hold_and_hosts_are_independent() {
    let (a, b) = (recorder("127.0.0.2").await, recorder("127.0.0.3").await);
    let f = polite(2, 200, Duration::from_secs(30));
    let began = std::time::Instant::now();
    let mut jobs = Vec::new();
    for r in [&a, &b] {
        for i in 0..6 {
            let (f, url) = (f.clone(), format!("{}/slow/{i}", r.base));
            jobs.push(tokio::spawn(async move { get(&f, &url).await.map(|_| ()) }));
        }
    }
    for j in jobs {
        j.await.unwrap().unwrap();
    }
    for r in [&a, &b] {
        assert!(r.most.load(std::sync::atomic::Ordering::SeqCst) <= 2);
        let mut starts = r.starts.lock().unwrap().clone();
        starts.sort();
        assert_eq!(starts.len(), 6);
        // Seen by the server, so network and scheduling jitter shorten some
        // gaps: without the interval, two would start together (0 ms) after
        // every response; with it, none is near 0 and the six span ~1 s.
        for w in starts.windows(2) {
            assert!(
                w[1] - w[0] >= Duration::from_millis(100),
                "{:?}",
                w[1] - w[0]
            );
        }
        assert!(starts[5] - starts[0] >= Duration::from_millis(800));
        // Each host began at once, not after the other's queue (1 s or more).
        assert!(starts[0] - began < Duration::from_millis(400));
    }
}

/// 429 with Retry-After: the host is left alone that long (seconds or an
/// HTTP date); a wait longer than a fetch may wait fails at once as
/// retriable; a negative or garbage value is an ordinary 429.
#[tokio::test]
async fn retry_after_pushes_the_host_back() {
    let r = recorder("127.0.0.4").await;
    let f = polite(2, 0, Duration::from_secs(5));
    let err = get(&f, &format!("{}/busy/1", r.base)).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Throttled {
                status: 429,
                after_secs: 1
            }
        ),
        "{err:?}"
    );
    assert!(err.is_retriable());
    let t = std::time::Instant::now();
    get(&f, &format!("{}/slow/1", r.base)).await.unwrap();
    assert!(
        t.elapsed() >= Duration::from_millis(900),
        "{:?}",
        t.elapsed()
    );

    // A year is capped at an hour, and nobody waits an hour for a turn.
    let err = get(&f, &format!("{}/busy/31536000", r.base))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Throttled {
                after_secs: 3600,
                ..
            }
        ),
        "{err:?}"
    );
    let t = std::time::Instant::now();
    let err = get(&f, &format!("{}/slow/2", r.base)).await.unwrap_err();
    assert!(matches!(err, Error::HostBusy(s) if s > 3000), "{err:?}");
    assert!(err.is_retriable() && t.elapsed() < Duration::from_secs(1));

    let other = recorder("127.0.0.5").await;
    for bad in ["-5", "soon", "Wed, 21 Oct 2015 07:28:00 GMT"] {
        let err = get(
            &f,
            &format!("{}/busy/{bad}", other.base.clone()).replace(' ', "%20"),
        )
        .await
        .unwrap_err();
        assert!(matches!(err, Error::Status(429)), "{bad}: {err:?}");
    }
    let soon = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(2));
    let err = get(
        &f,
        &format!("{}/busy/{}", other.base, soon.replace(' ', "%20")),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Throttled {
                after_secs: 0..=2,
                ..
            }
        ),
        "{err:?}"
    );
}

/// A publisher on `ip` whose robots.txt answers `status` with `body`, and
/// that counts the robots.txt requests and every other one.
async fn robots_host(
    ip: &str,
    status: u16,
    body: &'static [u8],
) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let asked = std::sync::Arc::new(AtomicUsize::new(0));
    let a = asked.clone();
    let app = axum::Router::new()
        .route(
            "/robots.txt",
            axum::routing::get(move || {
                a.fetch_add(1, Ordering::SeqCst);
                async move { (axum::http::StatusCode::from_u16(status).unwrap(), body) }
            }),
        )
        .fallback(|| async { "page" });
    let listener = tokio::net::TcpListener::bind((ip, 0)).await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, asked)
}

/// robots.txt as RFC 9309 reads it: its rules for courant, read once a day
/// per origin; 4xx or garbage allows all; unreachable (5xx) disallows all;
/// Crawl-delay widens the host's interval.
#[tokio::test]
async fn robots_txt_is_obeyed_and_cached() {
    let f = polite(2, 0, Duration::from_secs(30));
    let rules = b"User-agent: *\nDisallow: /private\n\nUser-agent: courant\nDisallow: /no-courant\nCrawl-delay: 1\n";
    let (base, asked) = robots_host("127.0.0.6", 200, rules).await;
    for (path, allowed) in [
        ("/public/a", true),
        ("/no-courant/x", false),
        ("/private/x", true),
    ] {
        let v = f.robots(&format!("{base}{path}")).await.unwrap();
        assert_eq!(v == Verdict::Allowed, allowed, "{path}: {v:?}");
    }
    assert_eq!(asked.load(std::sync::atomic::Ordering::SeqCst), 1, "cached");
    // Crawl-delay: 1 s between the starts of two requests to the host.
    let t = std::time::Instant::now();
    get(&f, &format!("{base}/a")).await.unwrap();
    get(&f, &format!("{base}/b")).await.unwrap();
    assert!(
        t.elapsed() >= Duration::from_millis(900),
        "{:?}",
        t.elapsed()
    );

    for (ip, status, body, allowed) in [
        ("127.0.0.7", 404, &b"not here"[..], true),
        (
            "127.0.0.8",
            200,
            &b"\x00\xff<html>garbage</html>\x01"[..],
            true,
        ),
        ("127.0.0.9", 503, &b"down"[..], false),
    ] {
        let (base, _) = robots_host(ip, status, body).await;
        let v = f.robots(&format!("{base}/page")).await.unwrap();
        assert_eq!(v == Verdict::Allowed, allowed, "{status}: {v:?}");
        if let Verdict::Disallowed(why) = v {
            assert!(why.contains("unreachable"), "{why}");
        }
    }
}

/// How long a response says it stays fresh, for the polling schedule.
#[test]
fn freshness_from_cache_headers() {
    let date = "Sun, 06 Dec 2026 10:00:00 GMT";
    for (headers, want) in [
        (vec![("cache-control", "public, max-age=600")], Some(600)),
        (vec![("cache-control", "max-age=600, no-cache")], None),
        (vec![("cache-control", "no-store")], None),
        (vec![("cache-control", "max-age=0")], None),
        (vec![("cache-control", "max-age=99999999")], Some(86_400)),
        (
            vec![("date", date), ("expires", "Sun, 06 Dec 2026 10:30:00 GMT")],
            Some(1800),
        ),
        (
            vec![("date", date), ("expires", "Sun, 06 Dec 2026 09:00:00 GMT")],
            None,
        ),
        (vec![("expires", "-1")], None),
        (vec![], None),
    ] {
        let mut map = HeaderMap::new();
        for (k, v) in &headers {
            map.insert(
                header::HeaderName::from_static(k),
                HeaderValue::from_static(v),
            );
        }
        assert_eq!(fresh_for(&map).map(|d| d.as_secs()), want, "{headers:?}");
    }
}

/// A host that drips its body a byte a second is cut at the deadline, and
/// a host beside it is served meanwhile as if alone.
#[tokio::test]
async fn a_dripping_host_holds_up_no_other() {
    use tokio::io::AsyncWriteExt;
    let drip = tokio::net::TcpListener::bind("127.0.0.10:0").await.unwrap();
    let drip_url = format!("http://{}/feed", drip.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut s, _)) = drip.accept().await {
            tokio::spawn(async move {
                let _ = s
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/rss+xml\r\ncontent-length: 1000\r\n\r\n")
                    .await;
                for _ in 0..1000 {
                    if s.write_all(b"<").await.is_err() {
                        break;
                    }
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            });
        }
    });
    let other = recorder("127.0.0.11").await;
    let f = Fetcher::new(FetchConfig {
        allow_private: true,
        timeout: Duration::from_secs(2),
        ..FetchConfig::default()
    })
    .unwrap();
    let started = std::time::Instant::now();
    let slow = {
        let f = f.clone();
        tokio::spawn(async move { get(&f, &drip_url).await })
    };
    get(&f, &format!("{}/slow/1", other.base)).await.unwrap();
    assert!(started.elapsed() < Duration::from_millis(1500));
    let err = slow.await.unwrap().unwrap_err();
    assert!(matches!(err, Error::Timeout), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(4));
}

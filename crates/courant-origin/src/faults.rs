//! Routes that misbehave the way real publishers do, for tests.

use std::time::Duration;

use axum::body::Body;
use axum::extract::Path;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use bytes::Bytes;

const FIFTY_MB: usize = 50 * 1024 * 1024;

/// A small valid RSS feed whose items link to `/page/N` on the same server.
pub fn ok_feed(items: usize) -> String {
    let mut s = String::from(
        r#"<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Fixture News</title><link>/</link><language>en</language>"#,
    );
    for i in 1..=items {
        s.push_str(&format!(
            "<item><title>Fixture story {i}</title><link>/page/{i}</link><guid>fixture-{i}</guid>\
             <pubDate>Mon, 0{d} Jan 2024 10:00:00 GMT</pubDate><description>Summary of story {i}.</description></item>",
            d = (i % 9) + 1
        ));
    }
    s.push_str("</channel></rss>");
    s
}

fn page(i: u32) -> String {
    let para = "The council met on Tuesday and agreed on a new budget for the coming year, \
        after a debate that lasted well into the evening and drew a large audience.";
    let body: String = (0..6)
        .map(|k| format!("<p>{para} Paragraph {k} of story {i}.</p>"))
        .collect();
    format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Fixture story {i}</title>
<meta property="article:published_time" content="2024-01-02T10:00:00Z"></head>
<body><nav><a href="/">Home</a> <a href="/sport">Sport</a></nav><article><h1>Fixture story {i}</h1>{body}</article>
<footer>Copyright Fixture News</footer></body></html>"#
    )
}

async fn huge_stream() -> Response {
    // No Content-Length: the fetcher must stop reading by itself.
    let chunk = Bytes::from(vec![b'a'; 64 * 1024]);
    let stream = futures_util::stream::iter(
        (0..FIFTY_MB / chunk.len()).map(move |_| Ok::<_, std::io::Error>(chunk.clone())),
    );
    (
        [(header::CONTENT_TYPE, "text/html")],
        Body::from_stream(stream),
    )
        .into_response()
}

fn gzip_bomb() -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![b' '; 1024 * 1024];
    for _ in 0..50 {
        // Writing to a Vec cannot fail.
        let _ = enc.write_all(&zeros);
    }
    enc.finish().unwrap_or_default()
}

async fn etag_feed(headers: HeaderMap) -> Response {
    const ETAG: &str = "\"v1\"";
    const LAST_MOD: &str = "Mon, 01 Jan 2024 10:00:00 GMT";
    let inm = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok());
    let ims = headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok());
    if inm == Some(ETAG) || (inm.is_none() && ims == Some(LAST_MOD)) {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    (
        [
            (header::CONTENT_TYPE, "application/rss+xml"),
            (header::ETAG, ETAG),
            (header::LAST_MODIFIED, LAST_MOD),
        ],
        ok_feed(3),
    )
        .into_response()
}

/// The fault routes:
/// - `/feed/ok`, `/feed/many` (500 items), `/feed/etag` (conditional GET), `/page/{n}`, `/feed/charset` (links
///   to `/fault/charset`), `/feed/dead-links` (items whose pages answer 404 or 500),
///   `/feed/slow-pages` (12 items whose pages take 300 ms each);
/// - `/fault/404`, `/fault/500`, `/fault/loop`, `/fault/loop-a` (two-hop loop),
///   `/fault/redirects/{n}` (a chain of n hops to `/feed/ok`);
/// - `/fault/huge` (50 MB streamed), `/fault/huge-declared` (50 MB with Content-Length),
///   `/fault/gzip-bomb` (50 MB after decompression);
/// - `/fault/charset` (a page in an unknown charset), `/fault/malformed-feed`,
///   `/fault/not-a-feed`, `/fault/slow` (answers after 30 s).
pub fn faults() -> Router {
    Router::new()
        .route("/feed/ok", get(|| async { ([(header::CONTENT_TYPE, "application/rss+xml")], ok_feed(5)) }))
        .route("/feed/many", get(|| async { ([(header::CONTENT_TYPE, "application/rss+xml")], ok_feed(500)) }))
        .route("/feed/etag", get(etag_feed))
        .route(
            "/feed/charset",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "application/rss+xml")],
                    r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Charset</title><item><title>Grüße</title><link>/fault/charset</link><guid>c1</guid></item></channel></rss>"#,
                )
            }),
        )
        .route(
            "/feed/dead-links",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "application/rss+xml")],
                    r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Dead links</title>
<item><title>Gone page</title><link>/fault/404</link><guid>d1</guid><description>The feed still carries this summary text.</description></item>
<item><title>Gone, no summary</title><link>/fault/404</link><guid>d2</guid></item>
<item><title>Flaky page</title><link>/fault/500</link><guid>d3</guid><description>Flaky summary.</description></item>
</channel></rss>"#,
                )
            }),
        )
        .route(
            "/page/{n}",
            get(|Path(n): Path<u32>| async move { ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], page(n)) }),
        )
        .route(
            "/feed/slow-pages",
            get(|| async {
                let feed = ok_feed(12).replace("<link>/page/", "<link>/slow-page/");
                ([(header::CONTENT_TYPE, "application/rss+xml")], feed)
            }),
        )
        .route(
            "/slow-page/{n}",
            get(|Path(n): Path<u32>| async move {
                tokio::time::sleep(Duration::from_millis(300)).await;
                ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], page(n))
            }),
        )
        .route("/fault/404", get(|| async { (StatusCode::NOT_FOUND, "not here") }))
        .route("/fault/500", get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "boom") }))
        .route("/fault/loop", get(|| async { Redirect::temporary("/fault/loop") }))
        .route("/fault/loop-a", get(|| async { Redirect::temporary("/fault/loop-b") }))
        .route("/fault/loop-b", get(|| async { Redirect::temporary("/fault/loop-a") }))
        .route(
            "/fault/redirects/{n}",
            get(|Path(n): Path<u32>| async move {
                if n == 0 {
                    Redirect::temporary("/feed/ok")
                } else {
                    Redirect::temporary(&format!("/fault/redirects/{}", n - 1))
                }
            }),
        )
        .route("/fault/huge", get(huge_stream))
        .route(
            "/fault/huge-declared",
            get(|| async { ([(header::CONTENT_TYPE, "application/rss+xml")], vec![b' '; FIFTY_MB]) }),
        )
        .route(
            "/fault/gzip-bomb",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/html"), (header::CONTENT_ENCODING, "gzip")],
                    gzip_bomb(),
                )
            }),
        )
        .route(
            "/fault/charset",
            get(|| async {
                // "Grüße aus München" in windows-1252 bytes, declared as a charset nobody knows.
                let mut body = b"<html><head><title>Gr\xfc\xdfe</title></head><body><p>Gr\xfc\xdfe aus M\xfcnchen, ".to_vec();
                body.extend_from_slice(&b"und noch mehr Text \xfcber das Wetter. ".repeat(40));
                body.extend_from_slice(b"</p></body></html>");
                ([(header::CONTENT_TYPE, "text/html; charset=x-klingon-9")], body)
            }),
        )
        .route(
            "/fault/malformed-feed",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "application/rss+xml")],
                    "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Broken</title><item><title>Half",
                )
            }),
        )
        .route(
            "/fault/not-a-feed",
            get(|| async { ([(header::CONTENT_TYPE, "text/html")], "<html><body>Hello</body></html>") }),
        )
        .route(
            "/fault/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(30)).await;
                "late"
            }),
        )
}

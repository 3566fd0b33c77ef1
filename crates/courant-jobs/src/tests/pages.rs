//! A page that changes while its feed item does not.

use std::sync::{Arc, Mutex};

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use chrono::Utc;
use courant_store::ArticleQuery;

use super::{add, context};
use crate::{ingest_all, pages};

fn page(news: &str) -> String {
    let para = "The council met on Tuesday evening and debated the budget for the coming year \
                at length, with residents filling the public gallery of the town hall.";
    format!(
        "<html><head><title>Budget</title></head><body><article><h1>Budget agreed</h1>\
         <p>{para}</p><p>{news}</p><p>{para}</p></article></body></html>"
    )
}

/// Served pages, the version each request saw, and whether it came with
/// the validator the last response gave.
#[derive(Default)]
struct Publisher {
    version: u32,
    news: String,
    conditional: Vec<bool>,
}

#[tokio::test]
async fn changed_pages_are_processed_again() {
    let state = Arc::new(Mutex::new(Publisher {
        version: 1,
        news: "The mayor thanked the staff.".into(),
        ..Publisher::default()
    }));
    let s = state.clone();
    let origin = courant_origin::spawn(move |_| {
        let s = s.clone();
        axum::Router::new()
            .route(
                "/feed",
                get(|| async {
                    "<rss version=\"2.0\"><channel><title>P</title><item><title>Budget agreed</title>\
                     <link>/story</link><guid>p-1</guid><description>The council agreed the budget.\
                     </description></item></channel></rss>"
                }),
            )
            .route(
                "/story",
                get(move |headers: HeaderMap| {
                    let s = s.clone();
                    async move {
                        let mut p = s.lock().unwrap();
                        let etag = format!("\"v{}\"", p.version);
                        let asked = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok());
                        p.conditional.push(asked.is_some());
                        if asked == Some(etag.as_str()) {
                            return StatusCode::NOT_MODIFIED.into_response();
                        }
                        let html = page(&p.news);
                        ([(header::ETAG, etag), (header::CONTENT_TYPE, "text/html".into())], html)
                            .into_response()
                    }
                }),
            )
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ctx = context(&dir, true);
    add(&ctx, origin.url("/feed"));
    let first = ingest_all(&ctx, |_| {}).await.unwrap();
    assert_eq!(first.ready, 1);
    let a = ctx
        .store
        .articles(&ArticleQuery::default())
        .unwrap()
        .remove(0);
    assert_eq!(a.processed.as_ref().unwrap().body_origin, "page");

    // Not due yet.
    let now = Utc::now();
    assert_eq!(pages::recheck(&ctx, now).await.unwrap().checked, 0);
    // Due and unchanged: a conditional GET, answered 304.
    let hours = |h| now + chrono::Duration::hours(h);
    let r = pages::recheck(&ctx, hours(4)).await.unwrap();
    assert_eq!((r.checked, r.changed), (1, 0));
    assert_eq!(state.lock().unwrap().conditional, vec![false, true]);

    // A new version with new text: the article is processed again.
    {
        let mut p = state.lock().unwrap();
        p.version = 2;
        p.news = "The mayor resigned after the vote.".into();
    }
    let r = pages::recheck(&ctx, hours(8)).await.unwrap();
    assert_eq!((r.checked, r.changed), (1, 1));
    let second = ingest_all(&ctx, |_| {}).await.unwrap();
    assert_eq!((second.new_articles, second.ready), (0, 1));
    let b = ctx.store.article(a.id).unwrap().unwrap();
    assert_eq!(b.revisions, 1);
    assert_eq!(b.discovered_at, a.discovered_at);
    assert!(b
        .processed
        .as_ref()
        .unwrap()
        .text
        .contains("mayor resigned"));

    // A new ETag alone, same text: no change.
    state.lock().unwrap().version = 3;
    let r = pages::recheck(&ctx, hours(12)).await.unwrap();
    assert_eq!((r.checked, r.changed), (1, 0));
    // The look booked before the window closed is the last one.
    assert_eq!(pages::recheck(&ctx, hours(60)).await.unwrap().checked, 1);
    assert_eq!(pages::recheck(&ctx, hours(90)).await.unwrap().checked, 0);
}

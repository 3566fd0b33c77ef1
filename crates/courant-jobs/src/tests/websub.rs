//! WebSub subscriptions asked for by a poll.

use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use axum::routing::get;
use chrono::Utc;

use super::{add, context};

/// A feed that names a WebSub hub is subscribed to there once (with its
/// self URL as the topic, a callback for its source and a fresh secret), and
/// not again while the request awaits the hub's verification.
#[tokio::test]
async fn feeds_with_a_hub_are_subscribed_to() {
    let asked: Arc<Mutex<Vec<String>>> = Arc::default();
    let a = asked.clone();
    let origin = courant_origin::spawn(move |base| {
        let a = a.clone();
        let feed = format!(
            "<rss version=\"2.0\" xmlns:atom=\"http://www.w3.org/2005/Atom\"><channel><title>H</title>\
             <atom:link rel=\"hub\" href=\"{base}/hub\"/><atom:link rel=\"self\" href=\"{base}/feed\"/>\
             <item><title>One</title><link>{base}/1</link></item></channel></rss>"
        );
        axum::Router::new()
            .route("/feed", get(move || async move { feed }))
            .route(
                "/hub",
                axum::routing::post(move |body: String| {
                    a.lock().unwrap().push(body);
                    async { StatusCode::ACCEPTED }
                }),
            )
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut ctx = context(&dir, true);
    ctx.settings.websub_callback = Some("https://news.example/websub".into());
    let src = add(&ctx, origin.url("/feed"));
    let now = Utc::now();
    crate::poll_source(&ctx, &src, now).await.unwrap();
    crate::poll_source(&ctx, &src, now).await.unwrap();
    let asked = asked.lock().unwrap().clone();
    assert_eq!(asked.len(), 1, "{asked:?}");
    let form: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(asked[0].as_bytes())
            .into_owned()
            .collect();
    let sub = ctx.store.websub(src.id).unwrap().unwrap();
    assert_eq!(form["hub.mode"], "subscribe");
    assert_eq!(form["hub.topic"], origin.url("/feed"));
    assert_eq!(
        form["hub.callback"],
        format!("https://news.example/websub/{}", src.id)
    );
    assert_eq!(form["hub.secret"], sub.secret);
    assert_eq!(sub.secret.len(), 48);
    assert_eq!(
        (sub.topic.as_str(), sub.lease_until),
        (form["hub.topic"].as_str(), None)
    );
}

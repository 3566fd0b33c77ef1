//! The WebSub callback: the hub's verification and signed deliveries.

use hmac::Mac as _;

use super::*;

async fn call(
    app: &Router,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (StatusCode, String) {
    let mut req = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = app
        .clone()
        .oneshot(req.body(Body::from(body.to_string())).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

fn sign(secret: &str, body: &str) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256={hex}")
}

/// Only the topic asked for is verified (its challenge echoed, its lease
/// recorded); a delivery is stored only with the right signature, and a
/// forged one is acknowledged and dropped.
#[tokio::test]
async fn hub_verification_and_signed_deliveries() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path().join("c.db")).unwrap());
    let src = store
        .add_source(&NewSource {
            feed_url: "https://ex.org/feed".into(),
            name: "Ex".into(),
            lang: Some("en".into()),
            attribution: None,
        })
        .unwrap();
    let sub = courant_store::WebSub {
        source_id: src.id,
        hub: "https://hub.example/".into(),
        topic: "https://ex.org/feed".into(),
        secret: "s3cret".into(),
        requested_at: Utc::now(),
        lease_until: None,
    };
    store.put_websub(&sub).unwrap();
    let app = router(store.clone(), WebConfig::default());
    let at = format!("/websub/{}", src.id);

    let wrong = format!("{at}?hub.mode=subscribe&hub.topic=https%3A%2F%2Fevil%2F&hub.challenge=c1");
    assert_eq!(
        call(&app, "GET", &wrong, &[], "").await.0,
        StatusCode::NOT_FOUND
    );
    let none =
        "/websub/999?hub.mode=subscribe&hub.topic=https%3A%2F%2Fex.org%2Ffeed&hub.challenge=c1";
    assert_eq!(
        call(&app, "GET", none, &[], "").await.0,
        StatusCode::NOT_FOUND
    );
    let right = format!(
        "{at}?hub.mode=subscribe&hub.topic=https%3A%2F%2Fex.org%2Ffeed&hub.challenge=c%3C2&hub.lease_seconds=3600"
    );
    let (status, body) = call(&app, "GET", &right, &[], "").await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "c<2"));
    let until = store.websub(src.id).unwrap().unwrap().lease_until.unwrap();
    let secs = (until - Utc::now()).num_seconds();
    assert!((3590..=3600).contains(&secs), "{secs}");

    let feed = "<rss version=\"2.0\"><channel><title>Ex</title><item><title>Pushed</title>\
                <link>https://ex.org/pushed</link></item></channel></rss>";
    let forged = [("x-hub-signature", "sha256=00ff")];
    assert_eq!(
        call(&app, "POST", &at, &forged, feed).await.0,
        StatusCode::ACCEPTED
    );
    let unsigned = call(&app, "POST", &at, &[], feed).await.0;
    assert_eq!(unsigned, StatusCode::ACCEPTED);
    assert_eq!(
        store.counts().unwrap().pending,
        0,
        "nothing stored unsigned"
    );
    let good = sign("s3cret", feed);
    let (status, _) = call(
        &app,
        "POST",
        &at,
        &[("x-hub-signature", good.as_str())],
        feed,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let stored = store
        .articles(&courant_store::ArticleQuery {
            include_pending: true,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].url.as_deref(), Some("https://ex.org/pushed"));

    // The hub ends it.
    let bye =
        format!("{at}?hub.mode=unsubscribe&hub.topic=https%3A%2F%2Fex.org%2Ffeed&hub.challenge=c3");
    assert_eq!(
        call(&app, "GET", &bye, &[], "").await,
        (StatusCode::OK, "c3".to_string())
    );
    assert_eq!(store.websub(src.id).unwrap().unwrap().lease_until, None);
}

#[test]
fn signatures_are_checked_by_their_method() {
    let body = b"payload";
    let sig = sign("k", "payload");
    assert!(crate::websub::signed(b"k", body, Some(&sig)));
    assert!(!crate::websub::signed(b"other", body, Some(&sig)));
    assert!(!crate::websub::signed(b"k", b"payload2", Some(&sig)));
    for bad in ["", "sha256", "md5=00", "sha256=zz", "sha256=abc"] {
        assert!(!crate::websub::signed(b"k", body, Some(bad)), "{bad}");
    }
    assert!(!crate::websub::signed(b"k", body, None));
}

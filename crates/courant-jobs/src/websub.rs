//! WebSub (opt-in): a feed that names a hub is subscribed to there, so new
//! items arrive when published. Polling goes on beside it at the feed's own
//! rhythm: a hub that is down, forgets the subscription or never verifies
//! it costs nothing but speed. The subscription is asked for again when its
//! lease nears its end, or an hour after a request the hub never confirmed.
//! The callback (`/websub/{source}`) is served by `courant-web`.

use chrono::{DateTime, Duration, Utc};
use courant_model::Source;
use courant_store::WebSub;

use crate::{blocking, Context};

/// Lease asked for: ten days, as hubs commonly grant.
pub const LEASE_SECS: i64 = 10 * 86_400;

/// Whether `existing` still stands for `hub` and `topic` at `now`.
pub fn current(existing: Option<&WebSub>, hub: &str, topic: &str, now: DateTime<Utc>) -> bool {
    let Some(w) = existing.filter(|w| w.hub == hub && w.topic == topic) else {
        return false;
    };
    match w.lease_until {
        Some(until) => until - now > Duration::days(1),
        None => now - w.requested_at < Duration::hours(1),
    }
}

/// Subscribes `source` at `hub` when it is not subscribed already; the
/// callback is `{callback}/{source id}`. Errors are the caller's to log.
pub async fn subscribe(
    ctx: &Context,
    callback: &str,
    source: &Source,
    hub: &str,
    topic: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let id = source.id;
    let existing = blocking(&ctx.store, move |s| s.websub(id)).await?;
    if current(existing.as_ref(), hub, topic, now) {
        return Ok(false);
    }
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness for a secret: {e}"))?;
    let secret: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let sub = WebSub {
        source_id: id,
        hub: hub.to_string(),
        topic: topic.to_string(),
        secret: secret.clone(),
        requested_at: now,
        lease_until: None,
    };
    // Stored first: the hub may verify before its answer to the request arrives.
    let stored = sub.clone();
    blocking(&ctx.store, move |s| s.put_websub(&stored)).await?;
    let callback = format!("{}/{id}", callback.trim_end_matches('/'));
    let lease = LEASE_SECS.to_string();
    let form = [
        ("hub.mode", "subscribe"),
        ("hub.topic", topic),
        ("hub.callback", callback.as_str()),
        ("hub.secret", secret.as_str()),
        ("hub.lease_seconds", lease.as_str()),
    ];
    ctx.fetcher.post_form(hub, &form).await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscriptions_are_renewed_before_they_lapse() {
        let now = Utc::now();
        let sub = |requested: i64, until: Option<i64>| WebSub {
            source_id: 1,
            hub: "https://hub/".into(),
            topic: "https://feed/".into(),
            secret: "s".into(),
            requested_at: now - Duration::minutes(requested),
            lease_until: until.map(|h| now + Duration::hours(h)),
        };
        let table = [
            (None, false),
            (Some(sub(5, None)), true),      // asked for, not verified yet
            (Some(sub(90, None)), false),    // never verified: ask again
            (Some(sub(0, Some(200))), true), // verified, days left
            (Some(sub(0, Some(12))), false), // lapses within a day
        ];
        for (existing, want) in table {
            assert_eq!(
                current(existing.as_ref(), "https://hub/", "https://feed/", now),
                want,
                "{existing:?}"
            );
        }
        let other_hub = sub(0, Some(200));
        assert!(!current(
            Some(&other_hub),
            "https://other/",
            "https://feed/",
            now
        ));
    }
}

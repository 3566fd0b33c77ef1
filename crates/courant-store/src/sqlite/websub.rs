//! WebSub subscriptions.

use chrono::{DateTime, Utc};
use courant_model::SourceId;
use rusqlite::{params, OptionalExtension as _};

use crate::{Result, WebSub};

use super::{parse_ts, ts, SqliteStore};

pub(super) fn put_websub(store: &SqliteStore, w: &WebSub) -> Result<()> {
    store.write().execute(
        "INSERT INTO websub (source_id, hub, topic, secret, requested_at, lease_until)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (source_id) DO UPDATE SET hub = excluded.hub, topic = excluded.topic,
           secret = excluded.secret, requested_at = excluded.requested_at,
           lease_until = excluded.lease_until",
        params![
            w.source_id,
            w.hub,
            w.topic,
            w.secret,
            ts(w.requested_at),
            w.lease_until.map(ts)
        ],
    )?;
    Ok(())
}

pub(super) fn websub(store: &SqliteStore, source: SourceId) -> Result<Option<WebSub>> {
    let row = store
        .read()
        .query_row(
            "SELECT source_id, hub, topic, secret, requested_at, lease_until FROM websub
             WHERE source_id = ?1",
            [source],
            |r| {
                Ok(WebSub {
                    source_id: r.get(0)?,
                    hub: r.get(1)?,
                    topic: r.get(2)?,
                    secret: r.get(3)?,
                    requested_at: parse_ts(r.get(4)?).unwrap_or_default(),
                    lease_until: parse_ts(r.get(5)?),
                })
            },
        )
        .optional()?;
    Ok(row)
}

pub(super) fn websub_verified(
    store: &SqliteStore,
    source: SourceId,
    until: Option<DateTime<Utc>>,
) -> Result<bool> {
    let n = store.write().execute(
        "UPDATE websub SET lease_until = ?2 WHERE source_id = ?1",
        params![source, until.map(ts)],
    )?;
    Ok(n > 0)
}

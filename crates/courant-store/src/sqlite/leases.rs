//! Named leases on sequential work, and the database's identity.

use chrono::{DateTime, Utc};
use rusqlite::params;

use crate::Result;

use super::{ts, SqliteStore};

pub(super) fn acquire_lease(
    store: &SqliteStore,
    name: &str,
    holder: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<bool> {
    let c = store.write();
    // One statement: take it if free, expired or already ours.
    let n = c.execute(
        "INSERT INTO leases (name, holder, until) VALUES (?1, ?2, ?4)
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until
         WHERE leases.holder = excluded.holder OR leases.until <= ?3",
        params![name, holder, ts(now), ts(until)],
    )?;
    Ok(n > 0)
}

pub(super) fn lease_holder(store: &SqliteStore, name: &str) -> Result<Option<String>> {
    use rusqlite::OptionalExtension as _;
    Ok(store
        .read()
        .query_row("SELECT holder FROM leases WHERE name = ?1", [name], |r| {
            r.get(0)
        })
        .optional()?)
}

pub(super) fn release_lease(store: &SqliteStore, name: &str, holder: &str) -> Result<()> {
    store.write().execute(
        "DELETE FROM leases WHERE name = ?1 AND holder = ?2",
        params![name, holder],
    )?;
    Ok(())
}

pub(super) fn instance_id(store: &SqliteStore) -> Result<String> {
    let c = store.read();
    Ok(
        c.query_row("SELECT value FROM meta WHERE key = 'instance'", [], |r| {
            r.get(0)
        })?,
    )
}

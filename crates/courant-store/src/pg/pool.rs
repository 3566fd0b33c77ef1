//! A few connections to one server, opened on demand and again after a
//! drop. Our own rather than r2d2's: a call while the server is down must
//! fail at once (the web answers 503, a worker retries on its next tick)
//! instead of waiting out a checkout timeout, and reconnecting backs off.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use postgres::{Client, NoTls};

use crate::{Error, Result};

/// Connections per process: enough for a web node's concurrent reads.
const SIZE: usize = 8;
/// The longest wait between two connection attempts while the server is down.
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// Every statement is bounded: a runaway query cannot hold a worker or a page.
const STATEMENT_TIMEOUT: &str = "60s";

/// A database URL PostgreSQL's client does not accept.
#[derive(Debug, thiserror::Error)]
#[error("store: not a PostgreSQL URL: {0}")]
pub struct PgConfigError(#[source] pub postgres::Error);

#[derive(Debug, Default)]
struct Down {
    /// No attempt before this.
    until: Option<Instant>,
    /// The wait after the next failure.
    backoff: Duration,
    /// What the last attempt said.
    reason: String,
}

pub(crate) struct Pool {
    config: postgres::Config,
    schema: Option<String>,
    conns: Vec<Mutex<Option<Client>>>,
    next: AtomicUsize,
    down: Mutex<Down>,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("hosts", &self.config.get_hosts())
            .field("dbname", &self.config.get_dbname())
            .field("schema", &self.schema)
            .finish_non_exhaustive()
    }
}

pub(crate) fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Pool {
    pub(crate) fn new(url: &str, schema: Option<&str>) -> Result<Self> {
        let mut config: postgres::Config = url.parse().map_err(|e| Error::Open {
            path: redact(url),
            step: "read the URL",
            source: Box::new(PgConfigError(e)),
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(5));
        }
        if config.get_application_name().is_none() {
            config.application_name("courant");
        }
        Ok(Pool {
            config,
            schema: schema.map(str::to_string),
            conns: (0..SIZE).map(|_| Mutex::new(None)).collect(),
            next: AtomicUsize::new(0),
            down: Mutex::default(),
        })
    }

    /// Runs `f` on a connection. The postgres client drives its own small
    /// runtime, which may not start inside another's async code: there the
    /// call leaves the runtime's context (`block_in_place`, a no-op on the
    /// blocking pool where the jobs call from), or, on a single-threaded
    /// runtime, runs on a scoped thread of its own.
    pub(crate) fn with<T: Send>(
        &self,
        f: impl FnOnce(&mut Client) -> Result<T> + Send,
    ) -> Result<T> {
        use tokio::runtime::{Handle, RuntimeFlavor};
        match Handle::try_current().map(|h| h.runtime_flavor()) {
            Err(_) => self.run(f),
            Ok(RuntimeFlavor::MultiThread) => tokio::task::block_in_place(|| self.run(f)),
            Ok(_) => std::thread::scope(|s| {
                s.spawn(|| self.run(f))
                    .join()
                    .unwrap_or_else(|p| std::panic::resume_unwind(p))
            }),
        }
    }

    fn run<T>(&self, f: impl FnOnce(&mut Client) -> Result<T>) -> Result<T> {
        let mut slot = self.slot();
        if slot.as_ref().is_none_or(Client::is_closed) {
            *slot = Some(self.connect()?);
        }
        let Some(client) = slot.as_mut() else {
            return Err(Error::Unavailable {
                reason: "no connection".into(),
                source: None,
            });
        };
        let out = f(client);
        if client.is_closed() {
            // Dropped under us (a restart, pg_terminate_backend): the next
            // call connects again.
            *slot = None;
            if let Err(Error::Pg(e)) = out {
                return Err(Error::Unavailable {
                    reason: "the connection was closed".into(),
                    source: Some(e),
                });
            }
        }
        out
    }

    /// A free connection slot if there is one, else the next in turn.
    fn slot(&self) -> MutexGuard<'_, Option<Client>> {
        let n = self.conns.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed) % n;
        for k in 0..n {
            if let Ok(guard) = self.conns[(start + k) % n].try_lock() {
                return guard;
            }
        }
        lock(&self.conns[start])
    }

    fn connect(&self) -> Result<Client> {
        {
            let down = lock(&self.down);
            if down.until.is_some_and(|t| Instant::now() < t) {
                return Err(Error::Unavailable {
                    reason: format!("waiting to reconnect after: {}", down.reason),
                    source: None,
                });
            }
        }
        match self.try_connect() {
            Ok(c) => {
                *lock(&self.down) = Down::default();
                Ok(c)
            }
            Err(e) => {
                let mut down = lock(&self.down);
                down.backoff = (down.backoff * 2).clamp(Duration::from_millis(100), MAX_BACKOFF);
                down.until = Some(Instant::now() + down.backoff);
                down.reason = e.to_string();
                Err(Error::Unavailable {
                    reason: "cannot connect".into(),
                    source: Some(e),
                })
            }
        }
    }

    fn try_connect(&self) -> std::result::Result<Client, postgres::Error> {
        let mut c = self.config.connect(NoTls)?;
        let mut setup =
            format!("SET statement_timeout = '{STATEMENT_TIMEOUT}'; SET client_min_messages = warning; SET synchronous_commit = off;");
        if let Some(s) = &self.schema {
            setup.push_str(&format!("SET search_path TO {};", quote_ident(s)));
        }
        c.batch_execute(&setup)?;
        Ok(c)
    }
}

impl Drop for Pool {
    /// A client closes through its own runtime too: inside async code, off
    /// to a thread of their own.
    fn drop(&mut self) {
        let clients: Vec<Client> = self
            .conns
            .iter_mut()
            .filter_map(|m| m.get_mut().unwrap_or_else(|p| p.into_inner()).take())
            .collect();
        if clients.is_empty() {
            return;
        }
        if tokio::runtime::Handle::try_current().is_ok() {
            std::thread::scope(|s| {
                s.spawn(move || drop(clients));
            });
        }
    }
}

/// The URL without its password, for messages.
pub(crate) fn redact(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.split_once('@') {
            Some((user, host)) => {
                let user = user.split(':').next().unwrap_or("");
                format!("{scheme}://{user}@{host}")
            }
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

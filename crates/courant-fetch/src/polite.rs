//! Per-host politeness, shared by every fetch of one `Fetcher` (feeds and
//! article pages alike): at most `per_host` requests in flight to one host,
//! at least `interval` between the starts of two requests to it, and a host
//! that answered 429 or 503 with Retry-After is left alone until then.
//!
//! A fetch never waits longer than `max_wait` for its turn: past that it
//! fails at once with [`Error::HostBusy`](crate::Error::HostBusy), which is
//! retriable, so a throttled host holds no worker for an hour.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// How one host is treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostPolicy {
    /// Requests in flight to the host at most.
    pub per_host: usize,
    /// Least time between the starts of two requests to the host.
    pub interval: Duration,
}

impl Default for HostPolicy {
    fn default() -> Self {
        HostPolicy {
            per_host: 2,
            interval: Duration::from_secs(1),
        }
    }
}

struct Host {
    permits: Arc<Semaphore>,
    /// When the next request may start.
    next: Mutex<Instant>,
    /// Widened by a robots.txt Crawl-delay.
    interval: Mutex<Duration>,
}

/// Hosts seen, with their turn and their pushed-back time.
pub(crate) struct Hosts {
    map: Mutex<HashMap<String, Arc<Host>>>,
    default: HostPolicy,
    overrides: HashMap<String, HostPolicy>,
    max_wait: Duration,
}

impl std::fmt::Debug for Hosts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hosts")
            .field("default", &self.default)
            .field("overrides", &self.overrides.len())
            .finish_non_exhaustive()
    }
}

/// A turn at a host: held while the request runs.
pub(crate) struct Turn {
    _permit: OwnedSemaphorePermit,
}

/// Hosts remembered at most; idle ones are forgotten past this.
const MAX_HOSTS: usize = 50_000;

impl Hosts {
    pub(crate) fn new(
        default: HostPolicy,
        overrides: HashMap<String, HostPolicy>,
        max_wait: Duration,
    ) -> Self {
        Hosts {
            map: Mutex::default(),
            default,
            overrides: overrides
                .into_iter()
                .map(|(h, p)| (h.to_ascii_lowercase(), p))
                .collect(),
            max_wait,
        }
    }

    fn host(&self, name: &str) -> Arc<Host> {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_HOSTS {
            let now = Instant::now();
            map.retain(|_, h| {
                Arc::strong_count(h) > 1 || h.next.lock().map(|n| *n > now).unwrap_or(true)
            });
        }
        let policy = self.overrides.get(name).copied().unwrap_or(self.default);
        map.entry(name.to_string())
            .or_insert_with(|| {
                Arc::new(Host {
                    permits: Arc::new(Semaphore::new(policy.per_host.max(1))),
                    next: Mutex::new(Instant::now()),
                    interval: Mutex::new(policy.interval),
                })
            })
            .clone()
    }

    /// Waits for a turn at `host`; `Err(wait)` when it would take longer than
    /// `max_wait`.
    pub(crate) async fn enter(&self, host: &str) -> Result<Turn, Duration> {
        let h = self.host(host);
        let ahead = h
            .next
            .lock()
            .map(|n| n.saturating_duration_since(Instant::now()))
            .unwrap_or_default();
        if ahead > self.max_wait {
            return Err(ahead);
        }
        let permit = tokio::time::timeout(self.max_wait, h.permits.clone().acquire_owned())
            .await
            .map_err(|_| self.max_wait)?
            .map_err(|_| self.max_wait)?;
        // Book the next start while holding the permit, then sleep to ours.
        let interval = *h.interval.lock().unwrap_or_else(|p| p.into_inner());
        let start = {
            let mut next = h.next.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            let start = (*next).max(now);
            // A turn too far away is refused without booking it, so a
            // refused fetch does not push back the ones after it.
            if start - now > self.max_wait {
                return Err(start - now);
            }
            *next = start + interval;
            start
        };
        tokio::time::sleep_until(start).await;
        Ok(Turn { _permit: permit })
    }

    /// Makes the interval at `host` at least `interval` (a Crawl-delay).
    pub(crate) fn widen(&self, host: &str, interval: Duration) {
        let h = self.host(host);
        let mut i = h.interval.lock().unwrap_or_else(|p| p.into_inner());
        *i = (*i).max(interval);
    }

    /// Leaves `host` alone for `wait` (a Retry-After).
    pub(crate) fn push_back(&self, host: &str, wait: Duration) {
        let h = self.host(host);
        let mut next = h.next.lock().unwrap_or_else(|p| p.into_inner());
        *next = (*next).max(Instant::now() + wait);
    }
}

/// A Retry-After value: seconds, or an HTTP date. Negative numbers,
/// garbage and dates in the past give `None`; a long wait is capped.
pub(crate) fn retry_after(value: &str, cap: Duration) -> Option<Duration> {
    let v = value.trim();
    let wait = if let Ok(secs) = v.parse::<u64>() {
        Duration::from_secs(secs)
    } else {
        let at = httpdate::parse_http_date(v).ok()?;
        at.duration_since(std::time::SystemTime::now()).ok()?
    };
    Some(wait.min(cap))
}

//! robots.txt (RFC 9309, through `texting_robots`) for article pages: read
//! once a day per origin, through the same politeness as every fetch.
//!
//! As the RFC says: a robots.txt that answers 4xx (or is too large or
//! garbage) allows everything; one that cannot be reached (5xx, timeout,
//! refused) disallows everything for now, and is asked again in an hour.
//! `Crawl-delay` widens the host's interval (up to a minute).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use crate::{Error, Fetcher, Outcome, Validators};

/// How long a read robots.txt is trusted.
const FRESH: Duration = Duration::from_secs(24 * 3600);
/// How long an unreachable robots.txt keeps its origin closed.
const RETRY: Duration = Duration::from_secs(3600);
/// Longest Crawl-delay honoured.
const MAX_DELAY: Duration = Duration::from_secs(60);
/// The product token courant answers to in robots.txt.
pub const AGENT: &str = "courant";

/// Whether a page may be fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// robots.txt allows it (or says nothing about it).
    Allowed,
    /// robots.txt disallows it, or could not be reached; the reason says which.
    Disallowed(String),
}

enum Rules {
    All,
    Closed(String),
    Parsed(Box<texting_robots::Robot>),
}

struct Entry {
    until: Instant,
    rules: Rules,
}

type Slot = Arc<tokio::sync::Mutex<Option<Entry>>>;

/// One slot per origin, so a slow robots.txt holds only its own pages.
#[derive(Default)]
pub(crate) struct Robots {
    slots: Mutex<HashMap<String, Slot>>,
}

impl std::fmt::Debug for Robots {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Robots").finish_non_exhaustive()
    }
}

impl Robots {
    fn slot(&self, origin: &str) -> Slot {
        let mut map = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 50_000 {
            map.retain(|_, s| Arc::strong_count(s) > 1);
        }
        map.entry(origin.to_string()).or_default().clone()
    }
}

impl Fetcher {
    /// Whether robots.txt lets courant fetch the page at `url`. Errors are
    /// only the retriable ones of reaching the host's turn (the page is
    /// tried again later); anything else about robots.txt is a verdict.
    pub async fn robots(&self, url: &str) -> Result<Verdict, Error> {
        let Ok(parsed) = url::Url::parse(url) else {
            return Ok(Verdict::Allowed);
        };
        if parsed.path() == "/robots.txt" || parsed.host_str().is_none() {
            return Ok(Verdict::Allowed);
        }
        let origin = parsed.origin().ascii_serialization();
        let slot = self.robots.slot(&origin);
        let mut entry = slot.lock().await;
        if entry.as_ref().is_none_or(|e| e.until <= Instant::now()) {
            *entry = Some(
                self.read_robots(&origin, parsed.host_str().unwrap_or(""))
                    .await?,
            );
        }
        Ok(match entry.as_ref().map(|e| &e.rules) {
            Some(Rules::Parsed(robot)) if !robot.allowed(url) => {
                Verdict::Disallowed("robots.txt disallows this page".into())
            }
            Some(Rules::Closed(why)) => Verdict::Disallowed(why.clone()),
            _ => Verdict::Allowed,
        })
    }

    async fn read_robots(&self, origin: &str, host: &str) -> Result<Entry, Error> {
        let now = Instant::now();
        let rules = match self
            .get(&format!("{origin}/robots.txt"), &Validators::default())
            .await
        {
            Ok(Outcome::Fetched(resp)) => match texting_robots::Robot::new(AGENT, &resp.body) {
                Ok(robot) => {
                    if let Some(delay) = robot.delay.filter(|d| d.is_finite() && *d > 0.0) {
                        let delay = Duration::from_secs_f32(delay).min(MAX_DELAY);
                        self.hosts.widen(&host.to_ascii_lowercase(), delay);
                    }
                    Rules::Parsed(Box::new(robot))
                }
                Err(_) => Rules::All,
            },
            Ok(Outcome::NotModified) => Rules::All,
            Err(e @ (Error::HostBusy(_) | Error::Throttled { .. })) => return Err(e),
            Err(Error::Status(s)) if (400..500).contains(&s) => Rules::All,
            Err(Error::TooLarge(_) | Error::Blocked(_) | Error::InvalidUrl(_)) => Rules::All,
            Err(e) => {
                return Ok(Entry {
                    until: now + RETRY,
                    rules: Rules::Closed(format!("robots.txt unreachable ({e}); page not fetched")),
                })
            }
        };
        Ok(Entry {
            until: now + FRESH,
            rules,
        })
    }
}

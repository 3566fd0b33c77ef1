//! The layer every backend shares: translation memory first, then batches
//! (by characters and items), the daily budget checked before each request,
//! a rate limit, a timeout, and retries with backoff (the engine's own
//! Retry-After on 429). Costs are counted per provider in the ledger and in
//! metrics.

use std::sync::Arc;
use std::time::Duration;

use sha2::Digest as _;
use tokio::time::Instant;

use crate::http::Http;
use crate::ledger::Ledger;
use crate::{batches, Error, Request, Translator};

/// How the shared layer treats one provider.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Longest wait for one request.
    pub timeout: Duration,
    /// Requests per second at most.
    pub requests_per_second: f64,
    /// Attempts after the first, for errors that may pass.
    pub retries: u32,
    /// First backoff; doubles with each attempt.
    pub backoff: Duration,
    /// Longest wait the engine may ask for with Retry-After; a longer one fails the request.
    pub max_wait: Duration,
    /// Characters a day, at most; `None`: no limit.
    pub daily_chars: Option<u64>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            timeout: Duration::from_secs(60),
            requests_per_second: 5.0,
            retries: 3,
            backoff: Duration::from_millis(500),
            max_wait: Duration::from_secs(120),
            daily_chars: None,
        }
    }
}

/// A translation of a list of segments.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Translated {
    /// One translation per segment, in order.
    pub texts: Vec<String>,
    /// Characters sent to the engine (memory hits cost nothing).
    pub chars_sent: u64,
    /// Segments found in the translation memory.
    pub memory_hits: usize,
    /// Time spent waiting for the engine's answers.
    pub engine_time: Duration,
    /// Characters of all segments, memory hits included: what sending
    /// everything would cost.
    pub segment_chars: u64,
    /// Requests sent, retries included.
    pub requests: usize,
}

/// One provider behind the shared layer.
pub struct Engine {
    name: String,
    backend: Box<dyn Translator>,
    http: Http,
    settings: Settings,
    ledger: Arc<dyn Ledger>,
    next_slot: tokio::sync::Mutex<Instant>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("name", &self.name)
            .field("kind", &self.backend.kind())
            .finish()
    }
}

/// The memory key of a segment.
pub fn key(segment: &str) -> String {
    let d = sha2::Sha256::digest(segment.as_bytes());
    d.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

impl Engine {
    /// An engine named `name` (the name budgets, memory and labels use).
    pub fn new(
        name: impl Into<String>,
        backend: Box<dyn Translator>,
        settings: Settings,
        ledger: Arc<dyn Ledger>,
    ) -> Result<Engine, Error> {
        let name = name.into();
        let client = reqwest::Client::builder()
            .connect_timeout(settings.timeout.min(Duration::from_secs(10)))
            .build()
            .map_err(|e| Error::Unreachable {
                provider: name.clone(),
                source: e,
            })?;
        Ok(Engine {
            http: Http {
                client,
                provider: name.clone(),
            },
            name,
            backend,
            settings,
            ledger,
            next_slot: tokio::sync::Mutex::new(Instant::now()),
        })
    }

    /// The provider's configured name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Sets the first backoff (tests shorten it).
    pub fn set_backoff(&mut self, first: Duration) {
        self.settings.backoff = first;
    }

    /// Translates inline-HTML segments from `from` to `to`: all of them, or an
    /// error. Segments translated before come from the memory; each batch that
    /// succeeds is remembered at once, so a retry costs only the rest.
    pub async fn translate(
        &self,
        from: &str,
        to: &str,
        segments: &[String],
    ) -> Result<Translated, Error> {
        let keys: Vec<String> = segments.iter().map(|s| key(s)).collect();
        let (name, f, t, k) = (
            self.name.clone(),
            from.to_string(),
            to.to_string(),
            keys.clone(),
        );
        let ledger = self.ledger.clone();
        let mut known = blocking(move || ledger.recall(&name, &f, &t, &k)).await?;
        let mut out = Translated {
            memory_hits: keys.iter().filter(|k| known.contains_key(*k)).count(),
            segment_chars: segments.iter().map(|s| s.chars().count() as u64).sum(),
            ..Translated::default()
        };
        // Each distinct missing segment is sent once.
        let mut missing: Vec<(String, String)> = Vec::new();
        for (k, s) in keys.iter().zip(segments) {
            if !known.contains_key(k)
                && !missing.iter().any(|(m, _)| m == k)
                && !s.trim().is_empty()
            {
                missing.push((k.clone(), s.clone()));
            }
        }
        let texts: Vec<String> = missing.iter().map(|(_, s)| s.clone()).collect();
        for range in batches(&texts, self.backend.limits()) {
            let batch = &texts[range.clone()];
            let answer = self.send(from, to, batch, &mut out).await?;
            let items: Vec<(String, String)> = missing[range]
                .iter()
                .map(|(k, _)| k.clone())
                .zip(answer)
                .collect();
            let (name, f, t, it) = (
                self.name.clone(),
                from.to_string(),
                to.to_string(),
                items.clone(),
            );
            let ledger = self.ledger.clone();
            blocking(move || ledger.remember(&name, &f, &t, &it)).await?;
            known.extend(items);
        }
        out.texts = keys
            .iter()
            .zip(segments)
            .map(|(k, s)| known.get(k).cloned().unwrap_or_else(|| s.clone()))
            .collect();
        metrics::counter!("courant_translate_segments_total", "provider" => self.name.clone(), "from" => "memory")
            .increment(out.memory_hits as u64);
        Ok(out)
    }

    /// One batch, with budget, rate limit, timeout and retries.
    async fn send(
        &self,
        from: &str,
        to: &str,
        batch: &[String],
        out: &mut Translated,
    ) -> Result<Vec<String>, Error> {
        let chars: u64 = batch.iter().map(|s| s.chars().count() as u64).sum();
        let req = Request {
            from,
            to,
            texts: batch,
        };
        let mut attempt = 0u32;
        loop {
            self.reserve(chars).await?;
            self.wait_turn().await;
            let start = Instant::now();
            let result =
                tokio::time::timeout(self.settings.timeout, self.backend.send(&self.http, &req))
                    .await;
            out.engine_time += start.elapsed();
            out.requests += 1;
            out.chars_sent += chars;
            let p = self.name.clone();
            metrics::counter!("courant_translate_chars_total", "provider" => p.clone())
                .increment(chars);
            let result = match result {
                Err(_) => Err(Error::Timeout {
                    provider: p.clone(),
                    after: self.settings.timeout,
                }),
                Ok(r) => r.and_then(|texts| self.validate(batch, texts)),
            };
            let err = match result {
                Ok(texts) => {
                    metrics::counter!("courant_translate_segments_total", "provider" => p, "from" => "engine")
                        .increment(batch.len() as u64);
                    return Ok(texts);
                }
                Err(e) => e,
            };
            metrics::counter!("courant_translate_errors_total", "provider" => p, "kind" => err.kind()).increment(1);
            if !err.retryable() || attempt >= self.settings.retries {
                return Err(err);
            }
            let wait = match &err {
                Error::RateLimited {
                    retry_after: Some(d),
                    ..
                } => {
                    if *d > self.settings.max_wait {
                        return Err(err);
                    }
                    *d
                }
                _ => self.settings.backoff.saturating_mul(1 << attempt.min(10)),
            };
            tracing::info!(provider = %self.name, error = %err.full(), wait_ms = wait.as_millis() as u64, "translation retried");
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    /// An answer with an empty translation for a non-empty segment is garbage.
    fn validate(&self, batch: &[String], texts: Vec<String>) -> Result<Vec<String>, Error> {
        if texts.len() != batch.len() {
            return Err(Error::Partial {
                provider: self.name.clone(),
                sent: batch.len(),
                got: texts.len(),
            });
        }
        if let Some(n) = texts
            .iter()
            .zip(batch)
            .position(|(t, s)| t.trim().is_empty() && !s.trim().is_empty())
        {
            return Err(Error::Garbage {
                provider: self.name.clone(),
                detail: format!("segment {n} came back empty"),
            });
        }
        Ok(texts)
    }

    async fn reserve(&self, chars: u64) -> Result<(), Error> {
        let (name, limit) = (self.name.clone(), self.settings.daily_chars);
        let ledger = self.ledger.clone();
        let day = chrono::Utc::now().date_naive();
        let ok = blocking(move || ledger.reserve(&name, day, chars, limit)).await?;
        if ok {
            return Ok(());
        }
        Err(Error::Budget {
            provider: self.name.clone(),
            needed: chars,
            limit: limit.unwrap_or(0),
        })
    }

    /// Waits for this provider's next request slot.
    async fn wait_turn(&self) {
        let rps = self.settings.requests_per_second;
        if !(rps > 0.0 && rps.is_finite()) {
            return;
        }
        let interval = Duration::from_secs_f64(1.0 / rps);
        let at = {
            let mut next = self.next_slot.lock().await;
            let now = Instant::now();
            let at = (*next).max(now);
            *next = at + interval;
            at
        };
        tokio::time::sleep_until(at).await;
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, crate::ledger::LedgerError> + Send + 'static,
) -> Result<T, Error> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r.map_err(Error::Ledger),
        Err(e) => Err(Error::Ledger(Box::new(e))),
    }
}

//! What can go wrong between courant and a translation engine.

use std::time::Duration;

/// A failed translation request.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The engine could not be reached, or the connection broke.
    #[error("{provider}: unreachable")]
    Unreachable {
        /// Provider name.
        provider: String,
        /// The HTTP client's error.
        #[source]
        source: reqwest::Error,
    },
    /// No answer within the time limit.
    #[error("{provider}: no answer within {} s", .after.as_secs_f32())]
    Timeout {
        /// Provider name.
        provider: String,
        /// The limit.
        after: Duration,
    },
    /// Too many requests (HTTP 429); `retry_after` is the engine's own wait, when it said one.
    #[error("{provider}: rate limited (429){}", .retry_after.map(|d| format!(", retry after {} s", d.as_secs())).unwrap_or_default())]
    RateLimited {
        /// Provider name.
        provider: String,
        /// The wait the engine asked for.
        retry_after: Option<Duration>,
    },
    /// The provider's own quota is spent (DeepL 456, and the like).
    #[error("{provider}: quota exceeded: {message}")]
    Quota {
        /// Provider name.
        provider: String,
        /// The engine's message.
        message: String,
    },
    /// The request was refused (4xx): bad key, bad pair, too large.
    #[error("{provider}: refused ({status}): {message}")]
    Rejected {
        /// Provider name.
        provider: String,
        /// HTTP status.
        status: u16,
        /// The engine's message.
        message: String,
    },
    /// The engine failed (5xx).
    #[error("{provider}: engine error ({status}): {message}")]
    Server {
        /// Provider name.
        provider: String,
        /// HTTP status.
        status: u16,
        /// The engine's message.
        message: String,
    },
    /// The answer could not be understood.
    #[error("{provider}: unusable answer: {detail}")]
    Garbage {
        /// Provider name.
        provider: String,
        /// What was wrong with it.
        detail: String,
    },
    /// The engine answered for only part of a batch.
    #[error("{provider}: answered {got} of {sent} segments")]
    Partial {
        /// Provider name.
        provider: String,
        /// Segments sent.
        sent: usize,
        /// Segments answered.
        got: usize,
    },
    /// Sending this would exceed the day's budget of characters.
    #[error("{provider}: daily budget of {limit} characters reached ({needed} more needed)")]
    Budget {
        /// Provider name.
        provider: String,
        /// Characters this request needed.
        needed: u64,
        /// The configured daily limit.
        limit: u64,
    },
    /// The ledger (budget and translation memory) failed.
    #[error("translation ledger: {0}")]
    Ledger(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl Error {
    /// The message with its causes, for logs and for what operators read.
    pub fn full(&self) -> String {
        let mut out = self.to_string();
        let mut cur = std::error::Error::source(self);
        while let Some(e) = cur {
            out.push_str(": ");
            out.push_str(&e.to_string());
            cur = e.source();
        }
        out
    }

    /// Whether the same request may succeed later without a change on our side.
    pub fn retryable(&self) -> bool {
        matches!(
            self,
            Error::Unreachable { .. }
                | Error::Timeout { .. }
                | Error::RateLimited { .. }
                | Error::Server { .. }
                | Error::Garbage { .. }
                | Error::Partial { .. }
        )
    }

    /// Whether it will not go away before tomorrow (or an operator acts): no
    /// point in retrying the same provider today.
    pub fn is_budget(&self) -> bool {
        matches!(self, Error::Budget { .. } | Error::Quota { .. })
    }

    /// A short stable name for metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Unreachable { .. } => "unreachable",
            Error::Timeout { .. } => "timeout",
            Error::RateLimited { .. } => "rate_limited",
            Error::Quota { .. } => "quota",
            Error::Rejected { .. } => "rejected",
            Error::Server { .. } => "server",
            Error::Garbage { .. } => "garbage",
            Error::Partial { .. } => "partial",
            Error::Budget { .. } => "budget",
            Error::Ledger(_) => "ledger",
        }
    }
}

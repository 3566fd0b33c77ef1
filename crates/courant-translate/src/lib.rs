//! Machine translation: one [`Translator`] interface, four backends (Apertium
//! APy, LibreTranslate, DeepL, OpenAI-compatible chat), and the layer they
//! share ([`Engine`]): translation memory, batching by characters and items,
//! the daily budget, rate limits, timeouts, and retries with backoff.
//!
//! This crate is an I/O edge: it talks to engines. What it sends is always
//! inline HTML: [`document`] cuts an article's sanitized HTML into segments
//! ([`segment`]), hides what must not change behind placeholders
//! ([`protect`]: code, URLs, names, glossary terms), translates, and puts the
//! document together again. Checking the result (the gate) and deciding what
//! to publish belong to the pipeline, not here.
//!
//! Invariants:
//! - **the budget is never exceeded**: characters are reserved in the
//!   ledger before each request (retries included), in one step with the
//!   check;
//! - **all or nothing**: a translation holds every segment, or is an error;
//!   nothing half-translated comes out of [`Engine::translate`];
//! - a segment is sent to a provider once per language pair: the memory
//!   answers every later request for it (a syndicated copy, a re-fetch, an
//!   edit that left it alone).
#![warn(missing_docs)]

pub mod backend;
mod config;
pub mod document;
mod engine;
mod error;
pub mod http;
pub mod ledger;
pub mod protect;
pub mod segment;

#[cfg(test)]
mod tests;

use futures_util::future::BoxFuture;

pub use config::{Kind, ProviderConfig};
pub use engine::{key, Engine, Settings, Translated};
pub use error::Error;
pub use ledger::{Ledger, MemoryLedger};

/// One request: segments of inline HTML, in one language pair.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// Source language (ISO 639-1).
    pub from: &'a str,
    /// Target language (ISO 639-1).
    pub to: &'a str,
    /// The segments.
    pub texts: &'a [String],
}

/// How much one request may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Characters, all segments together.
    pub max_chars: usize,
    /// Segments.
    pub max_items: usize,
}

/// A translation backend: only its request and answer formats. Batching,
/// limits, retries, budget and memory are the [`Engine`]'s.
pub trait Translator: Send + Sync {
    /// `apertium`, `libretranslate`, `deepl` or `openai`.
    fn kind(&self) -> &'static str;
    /// What one request may carry.
    fn limits(&self) -> Limits;
    /// Translates the segments of one request: one answer per segment, in
    /// order, or an error.
    fn send<'a>(
        &'a self,
        http: &'a http::Http,
        req: &'a Request<'a>,
    ) -> BoxFuture<'a, Result<Vec<String>, Error>>;
}

/// Consecutive ranges of `texts` within `limits`. A segment longer than
/// `max_chars` travels alone.
pub fn batches(texts: &[String], limits: Limits) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let (mut start, mut chars) = (0, 0);
    for (i, t) in texts.iter().enumerate() {
        let n = t.chars().count();
        let full =
            i > start && (chars + n > limits.max_chars || i - start >= limits.max_items.max(1));
        if full {
            out.push(start..i);
            start = i;
            chars = 0;
        }
        chars += n;
    }
    if start < texts.len() {
        out.push(start..texts.len());
    }
    out
}

/// A JSON request body (reqwest's `json` feature is not needed for this one call).
pub(crate) fn json_body(
    rb: reqwest::RequestBuilder,
    body: &serde_json::Value,
) -> reqwest::RequestBuilder {
    rb.header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body.to_string())
}

//! Feed documents to entries: RSS 0.9x/1.0/2.0, Atom and JSON Feed through
//! `feed-rs`, news and plain sitemaps, and OPML subscription lists.
//!
//! Parsing is pure: bytes in, `ParsedFeed` out. Messy input is normal, so
//! problems that do not lose the whole document come back as warnings: the
//! bytes are made UTF-8 first (valid UTF-8 wins over a declared charset),
//! and a malformed XML feed is read item by item (`recover`), keeping the
//! items that parse.
//!
//! Design decision: a fresh `feed_rs` parser per document, wrapped in
//! `catch_unwind`. feed-rs 3.0 can panic when a parser is reused after an
//! error inside an item; one hostile feed must never take down a worker.
//!
//! # Why feed-rs
//!
//! The one maintained Rust crate that reads all of RSS 0.9x/1.0/2.0, Atom and
//! JSON Feed. Items without an id are keyed by their link (not feed-rs' hash
//! of link+title, which changes when a title is edited). It parses the shared
//! feed suites without a panic (`cargo test -p courant-feed --release shared
//! -- --ignored --nocapture`; figures in BENCHMARKS.md). The 64 feed-rs fixtures with expected models are checked entry by entry in
//! `courant-feed`'s tests. Sitemaps and OPML are small enough to read with
//! `roxmltree` directly; the `opml` crate would add a dependency for 30 lines.
#![warn(missing_docs)]

mod atom03;
mod entities;
mod hints;
mod opml;
mod recover;
mod rss_body;
mod rss_version;
mod sitemap;
mod xmltext;

#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::panic::{catch_unwind, AssertUnwindSafe};

use chrono::{DateTime, Utc};
use courant_model::FeedEntry;

pub use hints::PollHints;
pub use opml::{parse_opml, OpmlOutline};
pub use sitemap::parse_sitemap;

/// Largest document `parse` accepts; the fetcher caps bodies lower by default.
pub const MAX_FEED_BYTES: usize = 64 * 1024 * 1024;

/// A parsed feed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedFeed {
    /// Which format the document was.
    pub kind: FeedKind,
    /// Feed title.
    pub title: Option<String>,
    /// Link to the site the feed belongs to.
    pub site_url: Option<String>,
    /// Language declared for the whole feed.
    pub lang: Option<String>,
    /// Entries in document order.
    pub entries: Vec<FeedEntry>,
    /// Problems that did not stop parsing.
    pub warnings: Vec<String>,
    /// What the feed says about when to poll it again.
    pub hints: PollHints,
    /// WebSub hub the feed announces (`<link rel="hub">`).
    pub hub: Option<String>,
    /// The feed's own URL as it states it (`<link rel="self">`): the topic
    /// to subscribe to at its hub.
    pub self_url: Option<String>,
}

/// Format of a feed document.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FeedKind {
    /// RSS 2.0 or 0.9x.
    #[default]
    Rss,
    /// RSS 1.0 (RDF).
    Rdf,
    /// Atom 1.0.
    Atom,
    /// JSON Feed 1.x.
    Json,
    /// sitemaps.org urlset, with or without Google News tags.
    Sitemap,
}

/// Why a document could not be read as a feed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The document is empty.
    #[error("feed: empty document")]
    Empty,
    /// The document exceeds [`MAX_FEED_BYTES`].
    #[error("feed: document of {0} bytes exceeds the limit")]
    TooLarge(usize),
    /// The document is not a feed courant understands, or is malformed.
    #[error("feed: malformed or unsupported document: {0}")]
    Malformed(String),
    /// The parser panicked on this document; it was contained.
    #[error("feed: parser failed on this document (contained panic)")]
    ParserPanic,
}

/// Parses a feed document. `base_url` resolves relative links.
pub fn parse(bytes: &[u8], base_url: Option<&str>) -> Result<ParsedFeed, Error> {
    parse_document(bytes, base_url).map(xml_safe)
}

/// Drops the characters XML cannot hold from every text of a parsed feed
/// (a control character in a title would make every Atom feed that shows it
/// invalid), and bounds every field: a 1 MB title would be served on every
/// list, feed and API page; summaries and content get bounds that only a
/// hostile feed reaches.
fn xml_safe(mut feed: ParsedFeed) -> ParsedFeed {
    use courant_text::{
        clip, MAX_AUTHORS, MAX_AUTHOR_CHARS, MAX_CONTENT_CHARS, MAX_SUMMARY_CHARS, MAX_TITLE_CHARS,
    };
    let clean = courant_text::retain_xml;
    feed.title.iter_mut().for_each(|t| {
        clean(t);
        clip(t, MAX_TITLE_CHARS);
    });
    for e in &mut feed.entries {
        clean(&mut e.title);
        clip(&mut e.title, MAX_TITLE_CHARS);
        e.url.iter_mut().for_each(clean);
        e.summary.iter_mut().for_each(|t| {
            clean(t);
            clip(t, MAX_SUMMARY_CHARS);
        });
        e.content.iter_mut().for_each(|t| {
            clean(t);
            clip(t, MAX_CONTENT_CHARS);
        });
        e.authors.truncate(MAX_AUTHORS);
        for a in &mut e.authors {
            clean(a);
            clip(a, MAX_AUTHOR_CHARS);
        }
    }
    feed
}

fn parse_document(bytes: &[u8], base_url: Option<&str>) -> Result<ParsedFeed, Error> {
    if bytes.len() > MAX_FEED_BYTES {
        return Err(Error::TooLarge(bytes.len()));
    }
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(Error::Empty);
    }
    if sitemap::looks_like_sitemap(bytes) {
        return sitemap::parse_sitemap(bytes, base_url);
    }
    let mut warnings = Vec::new();
    let doc = recover::to_utf8(bytes, &mut warnings);
    let json = doc.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    let doc = if json {
        Cow::Owned(recover::json_surrogates(&doc, &mut warnings).into_owned())
    } else {
        doc
    };
    let mut parsed = match strict(&doc, base_url) {
        Ok(feed) => convert(feed, base_url),
        Err(Error::Malformed(why)) if !json => salvage(&doc, base_url, &why)?,
        Err(e) => return Err(e),
    };
    warnings.append(&mut parsed.warnings);
    parsed.warnings = warnings;
    parsed.hints = hints::read(&doc, parsed.hints.ttl.map(|t| (t.as_secs() / 60) as u32));
    Ok(parsed)
}

/// One strict parse by feed-rs, after the dialects it does not read are
/// rewritten into ones it does.
fn strict(doc: &[u8], base_url: Option<&str>) -> Result<feed_rs::model::Feed, Error> {
    let rewritten = atom03::to_atom10(doc).or_else(|| rss_version::normalize(doc));
    let doc = rewritten.as_deref().unwrap_or(doc);
    let with_body = rss_body::rewrite(doc);
    let doc = with_body.as_deref().unwrap_or(doc);
    let parsed = catch_unwind(AssertUnwindSafe(|| {
        feed_rs::parser::Builder::new()
            .base_uri(base_url)
            .sanitize_content(false)
            // Items without an id are keyed by their link: stable across feed-rs
            // versions and title edits, unlike feed-rs' own hash of link+title.
            .id_generator(|links, title, _uri| {
                links
                    .first()
                    .map(|l| l.href.trim().to_string())
                    .or_else(|| title.as_ref().map(|t| t.content.trim().to_string()))
                    .unwrap_or_default()
            })
            .build()
            .parse(doc)
    }));
    match parsed {
        Ok(Ok(feed)) => Ok(feed),
        Ok(Err(e)) => Err(Error::Malformed(e.to_string())),
        Err(_) => Err(Error::ParserPanic),
    }
}

/// A malformed XML feed, read item by item: each item is parsed inside the
/// document's own head, and the items that parse are kept. Fails with the
/// strict parser's error when no item survives.
fn salvage(doc: &[u8], base_url: Option<&str>, why: &str) -> Result<ParsedFeed, Error> {
    let fail = || Error::Malformed(why.to_string());
    let repaired = entities::repair(doc);
    let doc = repaired.as_deref().unwrap_or(doc);
    // Whole-document repairs first: references XML refuses, then a document
    // cut short (its open elements closed where it ends).
    let whole = [
        repaired.is_some().then(|| doc.to_vec()),
        recover::closed(doc),
    ];
    for (fix, candidate) in ["references repaired", "unclosed elements closed"]
        .into_iter()
        .zip(whole)
    {
        if let Some(Ok(f)) = candidate.map(|c| strict(&c, base_url)) {
            let mut feed = convert(f, base_url);
            // A repair that loses every item, or leaves nothing to read, is no repair.
            let had_items = recover::pieces(doc).is_some();
            if feed.entries.is_empty() && (had_items || feed.title.is_none()) {
                continue;
            }
            feed.warnings
                .push(format!("malformed document ({why}); {fix}"));
            return Ok(feed);
        }
    }
    let pieces = recover::pieces(doc).ok_or_else(fail)?;
    let wrap = |item: &[u8]| [pieces.head, item, &pieces.tail].concat();
    let mut feed = match strict(&wrap(b""), base_url) {
        Ok(f) => convert(f, base_url),
        Err(_) => ParsedFeed::default(),
    };
    let mut lost = 0;
    for item in &pieces.items {
        match strict(&wrap(item), base_url) {
            Ok(f) => {
                let mut one = convert(f, base_url);
                feed.kind = one.kind;
                feed.entries.append(&mut one.entries);
            }
            Err(_) => lost += 1,
        }
    }
    if feed.entries.is_empty() {
        return Err(fail());
    }
    feed.warnings.push(format!(
        "malformed document ({why}); {lost} of {} items lost",
        pieces.items.len()
    ));
    Ok(feed)
}

fn convert(feed: feed_rs::model::Feed, base_url: Option<&str>) -> ParsedFeed {
    use feed_rs::model::FeedType;
    let kind = match feed.feed_type {
        FeedType::Atom => FeedKind::Atom,
        FeedType::JSON => FeedKind::Json,
        FeedType::RSS1 => FeedKind::Rdf,
        FeedType::RSS0 | FeedType::RSS2 => FeedKind::Rss,
    };
    let feed_lang = feed.language.as_deref().and_then(normalize_lang);
    let mut warnings = Vec::new();
    let mut entries = Vec::with_capacity(feed.entries.len());
    for (i, e) in feed.entries.into_iter().enumerate() {
        let url = pick_link(&e.links).map(|u| resolve(base_url, &u));
        let title = e.title.map(|t| plain_title(&t.content)).unwrap_or_default();
        let summary = e
            .summary
            .map(|t| t.content)
            .filter(|s| !s.trim().is_empty());
        let content = e
            .content
            .and_then(|c| c.body)
            .filter(|s| !s.trim().is_empty());
        // An item with neither title nor link is still news when it has text
        // (JSON Feed and Atom microposts); one with nothing at all is not.
        let text = content.as_deref().or(summary.as_deref());
        if title.is_empty() && url.is_none() && text.is_none() {
            warnings.push(format!("entry {i}: no title, link or text, skipped"));
            continue;
        }
        // feed-rs invents an id from link+title when none is given; prefer the link
        // then, because it survives title edits, and the text when there is nothing else.
        let guid = match (e.id.is_empty(), &url, text) {
            (false, _, _) => e.id,
            (true, Some(u), _) => u.clone(),
            (true, None, _) if !title.is_empty() => title.clone(),
            (true, None, t) => text_id(t.unwrap_or_default()),
        };
        entries.push(FeedEntry {
            guid,
            url,
            title,
            summary,
            content,
            authors: e
                .authors
                .into_iter()
                .filter_map(|p| p.name.or(p.email))
                .map(|n| n.trim().to_string())
                .filter(|n| !n.is_empty())
                .collect(),
            published: e.published.filter(plausible),
            updated: e.updated.filter(plausible),
            lang: e
                .language
                .as_deref()
                .and_then(normalize_lang)
                .or_else(|| feed_lang.clone()),
        });
    }
    let rel = |want: &str| {
        feed.links
            .iter()
            .find(|l| l.rel.as_deref() == Some(want))
            .map(|l| resolve(base_url, l.href.trim()))
    };
    let (hub, self_url) = (rel("hub"), rel("self"));
    ParsedFeed {
        kind,
        hub,
        self_url,
        title: feed
            .title
            .map(|t| plain_title(&t.content))
            .filter(|t| !t.is_empty()),
        site_url: pick_link(&feed.links).map(|u| resolve(base_url, &u)),
        lang: feed_lang,
        entries,
        warnings,
        hints: PollHints {
            ttl: feed
                .ttl
                .map(|m| std::time::Duration::from_secs(u64::from(m) * 60)),
            ..PollHints::default()
        },
    }
}

/// A stable id for an item known only by its text.
fn text_id(text: &str) -> String {
    use sha2::Digest as _;
    let d = sha2::Sha256::digest(text.trim().as_bytes());
    let hex: String = d[..12].iter().map(|b| format!("{b:02x}")).collect();
    format!("text:{hex}")
}

/// Prefers `rel=alternate` (or no rel) over self/enclosure links.
fn pick_link(links: &[feed_rs::model::Link]) -> Option<String> {
    links
        .iter()
        .find(|l| matches!(l.rel.as_deref(), None | Some("alternate")))
        .or_else(|| links.iter().find(|l| l.rel.as_deref() != Some("self")))
        .map(|l| l.href.trim().to_string())
        .filter(|h| !h.is_empty())
}

pub(crate) fn resolve(base: Option<&str>, href: &str) -> String {
    match base.and_then(|b| url::Url::parse(b).ok()) {
        Some(b) => b
            .join(href)
            .map(|u| u.to_string())
            .unwrap_or_else(|_| href.to_string()),
        None => href.to_string(),
    }
}

/// Dates before the web or far in the future are feed bugs, not dates.
fn plausible(d: &DateTime<Utc>) -> bool {
    let year = d.format("%Y").to_string().parse::<i32>().unwrap_or(0);
    courant_text::PLAUSIBLE_YEARS.contains(&year)
}

/// Titles are plain text; some feeds put markup or entities into them anyway.
pub(crate) fn plain_title(s: &str) -> String {
    courant_text::strip_tags(s)
}

/// Normalizes a declared language ("en-US", "de_DE", "EN") to its primary subtag.
pub fn normalize_lang(s: &str) -> Option<String> {
    let primary = s
        .trim()
        .split(['-', '_'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    let ok = (2..=3).contains(&primary.len()) && primary.chars().all(|c| c.is_ascii_lowercase());
    ok.then_some(primary)
}

//! An article page to its text and metadata.
//!
//! First version: `dom_smoothie` (a Readability.js port on html5ever) picks the
//! main content; courant adds bounds, date normalization, paragraph text and
//! sanitizing. A later issue replaces the content picker; the interface stays.
#![warn(missing_docs)]

pub mod sanitize;

#[cfg(test)]
mod tests;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

/// Pages larger than this are cut before parsing (bounded time and memory).
pub const MAX_HTML_BYTES: usize = 3 * 1024 * 1024;
/// Deepest element nesting accepted; real pages stay far below 100.
pub const MAX_DEPTH: usize = 400;
/// Nesting of container tags in the raw markup above which parsing is refused.
pub const MAX_RAW_DEPTH: usize = 3000;
/// Elements parsed at most; a page with more is refused.
pub const MAX_ELEMENTS: usize = 200_000;

/// What was extracted from a page.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Extracted {
    /// Article title.
    pub title: String,
    /// Body as plain text, paragraphs separated by blank lines.
    pub text: String,
    /// Body as sanitized HTML.
    pub html: String,
    /// Byline.
    pub author: Option<String>,
    /// Publication time.
    pub published: Option<DateTime<Utc>>,
    /// Last modification time.
    pub modified: Option<DateTime<Utc>>,
    /// Language the page declares.
    pub lang: Option<String>,
    /// Canonical URL the page declares.
    pub canonical_url: Option<String>,
    /// Site name.
    pub site_name: Option<String>,
    /// Description / excerpt.
    pub description: Option<String>,
    /// Lead image URL.
    pub image: Option<String>,
}

/// Why no article came out of a page.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The page has no content at all.
    #[error("extract: empty page")]
    Empty,
    /// No block of text looked like an article.
    #[error("extract: no article content found")]
    NoContent,
    /// Elements nest deeper than [`MAX_DEPTH`].
    #[error("extract: page nested too deeply (over {0} levels)")]
    TooDeep(usize),
    /// The page has more elements than [`MAX_ELEMENTS`].
    #[error("extract: page too complex ({0} elements)")]
    TooComplex(usize),
}

/// Extracts the article from `html`. `url` resolves relative links.
pub fn article(html: &str, url: Option<&str>) -> Result<Extracted, Error> {
    if html.trim().is_empty() {
        return Err(Error::Empty);
    }
    let html = &html[..html.floor_char_boundary(MAX_HTML_BYTES)];
    let url = url.filter(|u| url::Url::parse(u).is_ok());
    let cfg = dom_smoothie::Config {
        max_elements_to_parse: MAX_ELEMENTS,
        ..dom_smoothie::Config::default()
    };
    // The HTML tree builder itself is quadratic in nesting depth; refuse before parsing.
    if raw_nesting_exceeds(html, MAX_RAW_DEPTH) {
        return Err(Error::TooDeep(MAX_RAW_DEPTH));
    }
    let doc = dom_query::Document::from(html);
    // Readability scores walk ancestors, which is quadratic on pathological nesting.
    let depth = max_depth(&doc, MAX_DEPTH);
    if depth > MAX_DEPTH {
        return Err(Error::TooDeep(depth));
    }
    let mut r = dom_smoothie::Readability::with_document(doc, url, Some(cfg))
        .map_err(|_| Error::NoContent)?;
    let declared_canonical = canonical(&r.doc, url);
    let a = r.parse().map_err(|e| match e {
        dom_smoothie::ReadabilityError::TooManyElements(n, _) => Error::TooComplex(n),
        _ => Error::NoContent,
    })?;
    let canonical_url = declared_canonical.or(a.url.filter(|u| u.starts_with("http")));
    let author = a.byline.map(|b| squash(&b)).filter(|b| !b.is_empty());
    let clean_html = sanitize::html(&a.content, url).trim().to_string();
    let mut text = sanitize::text(&clean_html);
    let mut clean_html = clean_html;
    // A byline paragraph repeats the author the metadata already carries.
    if let Some(author) = &author {
        let first = text.split("\n\n").next().unwrap_or("");
        let stripped = first
            .trim_start_matches("By ")
            .trim_start_matches("Von ")
            .trim_start_matches("Par ");
        if first.len() < 120 && stripped.trim() == author {
            if let Some(rest) = clean_html.strip_prefix(&format!("<p>{first}</p>")) {
                clean_html = rest.trim_start().to_string();
                text = sanitize::text(&clean_html);
            }
        }
    }
    if text.trim().is_empty() {
        return Err(Error::NoContent);
    }
    Ok(Extracted {
        title: squash(&a.title),
        text,
        html: clean_html,
        author,
        published: a.published_time.as_deref().and_then(parse_date),
        modified: a.modified_time.as_deref().and_then(parse_date),
        lang: a.lang.filter(|l| !l.trim().is_empty()),
        canonical_url,
        site_name: a.site_name,
        description: a
            .excerpt
            .map(|e| squash(&e))
            .filter(|e| !e.is_empty() && !e.starts_with("By ")),
        image: a.image.filter(|u| u.starts_with("http")),
    })
}

/// `<link rel=canonical>`, else `og:url`, resolved against the page URL.
fn canonical(doc: &dom_query::Document, base: Option<&str>) -> Option<String> {
    let href = doc
        .select("link[rel=canonical]")
        .attr("href")
        .or_else(|| doc.select("meta[property='og:url']").attr("content"))?;
    let href = href.trim();
    let resolved = match base.and_then(|b| url::Url::parse(b).ok()) {
        Some(b) => b.join(href).ok()?.to_string(),
        None => url::Url::parse(href).ok()?.to_string(),
    };
    resolved.starts_with("http").then_some(resolved)
}

/// Depth of the element tree, counted until `limit` is passed.
fn max_depth(doc: &dom_query::Document, limit: usize) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(doc.root(), 0usize)];
    while let Some((node, depth)) = stack.pop() {
        deepest = deepest.max(depth);
        if deepest > limit {
            break;
        }
        let mut child = node.first_child();
        while let Some(c) = child {
            if c.is_element() {
                stack.push((c, depth + 1));
            }
            child = c.next_sibling();
        }
    }
    deepest
}

/// Approximate nesting of common container tags, from the raw bytes.
fn raw_nesting_exceeds(html: &str, limit: usize) -> bool {
    const CONTAINERS: [&[u8]; 8] = [
        b"div",
        b"span",
        b"section",
        b"article",
        b"table",
        b"ul",
        b"ol",
        b"blockquote",
    ];
    let b = html.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while let Some(off) = b[i..].iter().position(|&c| c == b'<') {
        i += off + 1;
        let closing = b.get(i) == Some(&b'/');
        let start = if closing { i + 1 } else { i };
        let end = b[start..]
            .iter()
            .position(|c| !c.is_ascii_alphanumeric())
            .map_or(b.len(), |e| start + e);
        let name = &b[start..end];
        if CONTAINERS.iter().any(|c| name.eq_ignore_ascii_case(c)) {
            if closing {
                depth = depth.saturating_sub(1);
            } else {
                depth += 1;
                if depth > limit {
                    return true;
                }
            }
        }
        i = end;
    }
    false
}

fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Dates as pages write them: RFC 3339, RFC 2822, ISO without zone (taken as
/// UTC) or a bare date.
pub fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.with_timezone(&Utc));
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(s) {
        return Some(d.with_timezone(&Utc));
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M%z",
        "%Y-%m-%d %H:%M:%S%z",
    ] {
        if let Ok(d) = DateTime::parse_from_str(s, fmt) {
            return Some(d.with_timezone(&Utc));
        }
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(d) = chrono::NaiveDateTime::parse_from_str(s, fmt) {
            return Some(d.and_utc());
        }
    }
    NaiveDate::parse_from_str(s.get(..10)?, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc())
}

/// Paragraph text of the block elements under `sel`.
pub(crate) fn blocks_to_text(sel: &dom_query::Selection<'_>) -> String {
    let mut paras: Vec<String> = Vec::new();
    let blocks =
        sel.select("p, h1, h2, h3, h4, h5, h6, li, blockquote, pre, figcaption, td, th, dt, dd");
    for node in blocks.nodes() {
        // A block inside another selected block is covered by its parent's text.
        let nested = node.ancestors(None).iter().any(|a| {
            a.node_name().is_some_and(|n| {
                matches!(
                    &*n,
                    "p" | "li" | "blockquote" | "pre" | "td" | "th" | "dd" | "figcaption"
                )
            })
        });
        if nested {
            continue;
        }
        let t = squash(&node.text());
        if !t.is_empty() {
            paras.push(t);
        }
    }
    if paras.is_empty() {
        let t = squash(&sel.text());
        if !t.is_empty() {
            paras.push(t);
        }
    }
    paras.join("\n\n")
}

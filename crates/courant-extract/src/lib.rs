//! An article page to its text and metadata.
//!
//! `dom_smoothie` (a Readability.js port on html5ever) picks the content block.
//! Around it, courant reads the metadata itself (`meta`), prunes furniture
//! before the pick and drops furniture paragraphs after it (`prune`), falls
//! back to the page's prose when the pick is far too small, and bounds and
//! sanitizes everything. The measured reasons are below; the figures are in
//! BENCHMARKS.md.
//!
//! # Steps
//!
//! `article(html, url) -> Extracted` (title, text as paragraphs, sanitized
//! HTML, authors, dates with the page's offset, declared language, canonical
//! URL, site name, description, tags, lead image and its caption apart from the
//! body). Steps, in `lib.rs`: bounds, `strip::inert` (a byte scan that drops
//! scripts other than JSON-LD, styles, SVG, `<noscript>` (only its tags when it
//! holds paragraphs: some blogs put the post nowhere else), `<template>` and
//! comments, about 60% of a news page's bytes, before html5ever sees them), one
//! html5ever parse, `meta::read` (JSON-LD, then `<meta>`, then machine-readable
//! dates on elements, then a date the page shows in a date element or near the
//! `<h1>`, numeric or with the month's name in seven languages; byline labels
//! such as "Author" or "Veröffentlicht von" are cut from names),
//! `prune::furniture` (markup-level furniture out: ruby readings, consent
//! banners and reader-comment threads even when they hold long paragraphs,
//! except on a discussion page, where comments hold twice the paragraph text
//! outside them and that is under 500 bytes (forum threads), sign-up forms with
//! an e-mail field unless they wrap the page, ranking and related boxes; a
//! declared article body, `[itemprop=articleBody]` or a CMS body class, and its
//! ancestors always stay), `dom_smoothie` picks the content block,
//! `prune::harvest` is the fallback when that block is far smaller than the
//! page's prose (or when none is found), `prune::parts` mends a pick that holds
//! one part of an article cut into parts (sibling `<div>`s, `<section>`s or
//! `<article>`s of one class, each with prose, with ads or sign-up boxes
//! between them, as Postmedia's papers print a story): the parts the pick lacks
//! that hold two paragraphs of 80 bytes or more join it in page order, and a
//! part whose headings or text sit in links (a teaser card) never does, the
//! lead (one to five prose blocks between the page's `<h1>` and the first block
//! the pick holds, each of 80 characters or more: a standfirst or lead
//! paragraph printed above the container Readability picked) goes before it,
//! `prune::loose` (the leaf `<div>`s, list items and cells) the last one for
//! pages with next to no paragraphs (recipes, shops, forum threads of `<div>`s
//! and `<br>`s), used when the text is empty or under the same share of it, a
//! standfirst that repeats the page's description leads the body when the pick
//! lacks it, the body declared in JSON-LD (`articleBody`, or a how-to's or
//! recipe's steps: `meta::declared_body`) replaces the text when the text is
//! under half of it (script-rendered pages, whose markup is an empty mount
//! point), a declared recipe's ingredients or steps (`meta::Recipe`, from
//! `recipeIngredient` and `recipeInstructions`) close the body as lists when
//! the text holds fewer than half of them (a recipe widget apart from the
//! prose), and `body` drops furniture paragraphs, blocks that are one link
//! (teaser headlines) and every repeat of a short line after its first (a
//! widget label per section), then what that leaves behind (`loose_ends`: a
//! heading of 80 bytes or less, not a sentence, followed by nothing or by a
//! heading of its rank or higher, the label of a related-links box whose links
//! are gone; short lines of 40 bytes or less, not sentences, at the very end or
//! before the first sentence or heading, where list items, cells and images
//! stop the cut because their short lines are data, and a body of nothing but
//! short lines keeps them), then gives the HTML and the text from the same
//! tree. Before judging, each run of loose text between blocks in a container
//! (old markup: a label in a `<div>`, the entry as bare text after it) is
//! wrapped in a `<p>`, two `<br>`s in a row ending a run, so it is judged and
//! shown as the paragraph a browser shows, and the text never lacks what the
//! HTML shows (a `<br>` is a line break in the text, never nothing, so the
//! words on either side stay apart; a line break in the markup is a space,
//! except in `<pre>`; the text-level rules come from
//! `courant_clean::is_furniture`, so extractor and checker share one list).
//! `sanitize::html` is the only sanitizer. `courant extract` (CLI) and the
//! pipeline call the same `article`. Code that looks at every element of the
//! page walks `elements()` (document order) and tests tag names and attributes
//! itself, with the selector it stands for in a comment: CSS selector lists
//! matched against every element were 15% of extraction in a profile. The
//! substring lists tested on every paragraph (disclaimers, credit words) and
//! every class string (furniture, consent and comment parts) are one
//! Aho-Corasick automaton each.
//!
//! # Why dom_smoothie and own code around it
//!
//! Measured with `bench/extraction.sh` (figures in BENCHMARKS.md) against
//! trafilatura 2.3.1 in the same run. `dom_smoothie` alone (Readability.js on
//! html5ever) scored body F1 0.914 on fundus and 0.880 on trafilatura-eval
//! against trafilatura's 0.950 and 0.926; Readability keeps whatever sits in
//! its chosen container (captions, share bars, subscription boxes, "read also"
//! teasers) and sometimes picks a teaser block. The own code removes
//! markup-level furniture before scoring (tag, role, class and id words; an
//! element holding two paragraphs of 150+ characters is always kept, because
//! layout classes such as `sidebar-grid__content` wrap real articles), falls
//! back to the page's prose when the pick is under 30% of it, and drops
//! furniture paragraphs afterwards. Metadata is read by courant (JSON-LD first)
//! because Readability's was wrong for a quarter of the fundus titles and
//! authors. Not chosen: the `trafilatura` crate (a port: slower than
//! dom_smoothie by the issue's own figures, 177 against 381 pages/s) and
//! `rs-trafilatura`. html5ever's parse is the largest share of courant's time
//! (profiles in BENCHMARKS.md), so speed is reported as a ratio to trafilatura.
//! The inert-part scan in `strip.rs` is own code (70 lines over `memchr`)
//! because the parse is the largest cost and a streaming rewriter such as
//! `lol_html` would tokenize the page once more to do the same; its mistakes
//! can only lose markup, never let anything through, since everything is
//! sanitized afterwards. A maximum-sum "main region" scorer (prose characters
//! for, furniture characters against, summed up the tree) was measured as a
//! replacement and as an expansion of the pick and dropped: 0.895 / 0.863
//! alone, and no rule mixing it with the pick beat the pick (BENCHMARKS.md).
//! Bounds: html5ever's tree builder is quadratic in nesting depth (20,000
//! nested divs took 112 s in a debug build), so markup nested deeper than 3,000
//! container tags is refused before parsing and deeper than 400 elements before
//! scoring; pages are cut at 3 MiB; a tag keeps its first 256 attributes
//! (html5ever's duplicate check is quadratic in them: 200,000 took 54 s). A cargo-fuzz target
//! (`crates/courant-extract/fuzz`, its own workspace, nightly only) runs decode
//! + extract on any bytes.
//!
//! # Why ammonia
//!
//! Allow-list over html5ever; relative URLs are resolved against the page or
//! dropped; links get `rel="nofollow noopener noreferrer"`.
#![warn(missing_docs)]

mod attrs;
mod body;
mod date;
mod discover;
mod dom;
mod mend;
mod meta;
mod prune;
pub mod sanitize;
mod strip;
mod text;

#[cfg(test)]
mod tests;

use chrono::{DateTime, FixedOffset};
use courant_text::squash;
use serde::Serialize;

pub use attrs::MAX_ATTRIBUTES;
pub use date::parse_date;
pub use discover::{article_links, feed_links, usual_feed_urls, FeedLink};

/// Pages larger than this are cut before parsing (bounded time and memory).
pub const MAX_HTML_BYTES: usize = 3 * 1024 * 1024;
/// Deepest element nesting accepted; real pages stay far below 100.
pub const MAX_DEPTH: usize = 400;
/// Nesting of container tags in the raw markup above which parsing is refused.
pub const MAX_RAW_DEPTH: usize = 3000;
/// Elements parsed at most; a page with more is refused.
pub const MAX_ELEMENTS: usize = 200_000;
/// Prose length under which the page's leaf blocks are kept as the last fallback.
const LOOSE_BELOW: usize = 500;

/// What was extracted from a page.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Extracted {
    /// Article title.
    pub title: String,
    /// Body as plain text, paragraphs separated by blank lines.
    pub text: String,
    /// Body as sanitized HTML.
    pub html: String,
    /// Authors, in page order.
    pub authors: Vec<String>,
    /// Publication time, with the offset the page gave.
    pub published: Option<DateTime<FixedOffset>>,
    /// Last modification time, with the offset the page gave.
    pub modified: Option<DateTime<FixedOffset>>,
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
    /// Caption of the lead image, kept apart from the body.
    pub image_caption: Option<String>,
    /// Tags and keywords the page declares.
    pub tags: Vec<String>,
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
///
/// Bounds, then one parse, the page's metadata, furniture pruned, the pick,
/// and the rescue passes of `mend::PASSES` in order.
pub fn article(html: &str, url: Option<&str>) -> Result<Extracted, Error> {
    if html.trim().is_empty() {
        return Err(Error::Empty);
    }
    let html = &html[..html.floor_char_boundary(MAX_HTML_BYTES)];
    let stripped = strip::inert(html);
    let bounded = attrs::bounded(&stripped, MAX_ATTRIBUTES);
    let html = &*bounded;
    // Only web URLs resolve links; Readability refuses any other base.
    let url =
        url.filter(|u| url::Url::parse(u).is_ok_and(|u| matches!(u.scheme(), "http" | "https")));
    // The HTML tree builder itself is quadratic in nesting depth; refuse before parsing.
    if dom::raw_nesting_exceeds(html, MAX_RAW_DEPTH) {
        return Err(Error::TooDeep(MAX_RAW_DEPTH));
    }
    let doc = dom_query::Document::from(html);
    // Readability scores walk ancestors, which is quadratic on pathological nesting.
    let depth = dom::max_depth(&doc, MAX_DEPTH);
    if depth > MAX_DEPTH {
        return Err(Error::TooDeep(depth));
    }
    let mut meta = meta::read(&doc);
    let declared_canonical = dom::canonical(&doc, url);
    prune::furniture(&doc);
    let harvest = prune::harvest(&doc);
    let parts = prune::parts(&doc);
    // Next to no paragraphs: keep the page's leaf blocks in case nothing else is left.
    let loose = (harvest.len < LOOSE_BELOW).then(|| prune::loose(&doc));
    let fallback = harvest.len > 0
        || loose.as_ref().is_some_and(|l| l.len > 0)
        || meta.declared_body.is_some();
    let a = pick(doc, url, fallback)?;
    let canonical_url = declared_canonical.or(a.url.filter(|u| u.starts_with("http")));
    let mut authors = std::mem::take(&mut meta.authors);
    if authors.is_empty() {
        authors = a
            .byline
            .as_deref()
            .map(meta::split_names)
            .unwrap_or_default();
    }
    let title = meta
        .title
        .take()
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| squash(&a.title));
    let page = mend::Page {
        url,
        title: &title,
        authors: &authors,
        meta: &meta,
        harvest: &harvest,
        parts: &parts,
        loose: loose.as_ref(),
    };
    let mut body = page.judge(&a.content);
    for (_, pass) in mend::PASSES {
        if let Some(better) = pass(&page, &body) {
            body = better;
        }
    }
    if body.text.trim().is_empty() {
        return Err(Error::NoContent);
    }
    Ok(Extracted {
        title,
        text: body.text,
        html: body.html,
        authors,
        published: meta
            .published
            .or_else(|| a.published_time.as_deref().and_then(parse_date))
            .or_else(|| url.and_then(date::date_in_url))
            .or(meta.shown_date),
        modified: meta
            .modified
            .or_else(|| a.modified_time.as_deref().and_then(parse_date)),
        lang: meta
            .lang
            .or(a.lang)
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty()),
        canonical_url,
        site_name: meta.site_name.or(a.site_name),
        description: meta
            .description
            .or(a.excerpt)
            .map(|e| squash(&e))
            .filter(|e| !e.is_empty() && !e.starts_with("By ")),
        image: meta
            .image
            .or(a.image)
            .and_then(|u| dom::absolute(&u, url))
            .filter(|u| u.starts_with("http")),
        image_caption: meta.image_caption,
        tags: meta.tags,
    })
}

/// Readability's pick of the content block. When no block scores as an
/// article (short pages, odd markup) and the page has prose of its own
/// (`fallback`), an empty pick, which the passes then fill.
fn pick(
    doc: dom_query::Document,
    url: Option<&str>,
    fallback: bool,
) -> Result<dom_smoothie::Article, Error> {
    let cfg = dom_smoothie::Config {
        max_elements_to_parse: MAX_ELEMENTS,
        // courant reads JSON-LD itself (meta.rs), before pruning.
        disable_json_ld: true,
        ..dom_smoothie::Config::default()
    };
    let mut r = dom_smoothie::Readability::with_document(doc, url, Some(cfg))
        .map_err(|_| Error::NoContent)?;
    match r.parse() {
        Ok(a) => Ok(a),
        Err(dom_smoothie::ReadabilityError::TooManyElements(n, _)) => Err(Error::TooComplex(n)),
        Err(_) if fallback => Ok(dom_smoothie::Article {
            title: r.get_article_title().to_string(),
            byline: None,
            content: Default::default(),
            text_content: Default::default(),
            length: 0,
            excerpt: None,
            site_name: None,
            dir: None,
            lang: None,
            published_time: None,
            modified_time: None,
            image: None,
            favicon: None,
            url: None,
        }),
        Err(_) => Err(Error::NoContent),
    }
}
